import { describe, expect, it } from "vitest";
import { drifted, driftMarkdown, driftReport } from "../../../scripts/lib/driftReport";

const urn = (type: string, name: string) => `urn:pulumi:pi::picluster::picluster:index:Picluster$picluster:cluster:K3sCluster$${type}::${name}`;
const obs = (node: string, op: string, repairs: string[]) => ({ op, urn: urn("pulumi-nodejs:dynamic/picluster:NodeObservation", `${node}-observed`), oldState: { type: "pulumi-nodejs:dynamic/picluster:NodeObservation", outputs: { repairs } } });

describe("the scheduled drift report", () => {
    it("names each drifted node with its repairs, puts node resources under their node and the rest under cluster", () => {
        const json = JSON.stringify({
            steps: [
                obs("pi-1", "update", ["reinstall k3s: reimaged (machine-id changed)"]),
                obs("pi-10", "same", []),
                obs("cp-1", "same", []),
                { op: "update", urn: urn("command:remote:Command", "pi-10-labels") },
                { op: "same", urn: urn("command:remote:Command", "cp-1-install") },
                { op: "update", urn: urn("kubernetes:apps/v1:Deployment", "ollama") },
                { op: "refresh", urn: urn("kubernetes:core/v1:Namespace", "ai") },
            ],
        });
        const r = driftReport("pi", json);
        expect(r.nodes).toEqual({ "pi-1": ["reinstall k3s: reimaged (machine-id changed)"], "pi-10": ["update pi-10-labels"] });
        expect(r.cluster).toEqual(["update ollama"]);
        expect(drifted(r)).toBe(true);
        const md = driftMarkdown(r);
        expect(md.split("\n")[0]).toBe("<!-- picluster-drift-pi -->");
        expect(md).toContain("- **pi-1**: reinstall k3s: reimaged (machine-id changed)");
        expect(md).toContain("npm run pulumi -- up --refresh --stack pi");
    });

    it("reports none when nothing would change, and a failed refresh as drift, never as none", () => {
        expect(drifted(driftReport("dev", JSON.stringify({ steps: [obs("dev-1", "same", [])] })))).toBe(false);
        const failed = driftReport("dev", JSON.stringify({ steps: [], diagnostics: [{ severity: "error", message: "ssh: connect to host 192.168.56.10 port 22: No route to host" }] }));
        expect(drifted(failed)).toBe(true);
        expect(driftMarkdown(failed)).toContain("The preview failed:");
    });
});

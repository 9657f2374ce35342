import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { checkEndpoints, neighbours, runtimeServices } from "../../../scripts/charts/checks";
import { objectMatches } from "../../../scripts/charts/exemptions";
import { maskGenerated } from "../../../scripts/charts/releases";

const release = (name: string, chart: string) => YAML.stringify({ name, namespace: "ns", chart, version: "1.0.0", repositoryOpts: { repo: "https://charts.example.com" }, values: {} });
const service = (name: string, port: number) => YAML.stringify({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port }] } });

describe("chart checks on a rendered stack", () => {
    const files = new Map([
        ["charts/web.values.yaml", release("web", "web")],
        ["charts/web.yaml", `---\n${service("web-web", 80)}`],
        ["charts/db.values.yaml", release("db", "cluster")],
        ["charts/db.yaml", YAML.stringify({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "pg", namespace: "ns" }, spec: {} })],
    ]);
    const withEndpoints = (endpoints: Record<string, string>) => new Map([...files, ["outputs.yaml", YAML.stringify({ endpoints })]]);

    it("finds endpoints among chart Services (namespaced by their release) and operator-made Services", () => {
        expect(runtimeServices(files).map((s) => s.m.metadata.name)).toEqual(["pg-rw", "pg-ro", "pg-r"]);
        expect(checkEndpoints(withEndpoints({ web: "web-web.ns.svc.cluster.local:80", db: "pg-rw.ns.svc.cluster.local:5432" }))).toEqual([]);
    });

    it("names a missing Service, a wrong port and a malformed endpoint", () => {
        expect(checkEndpoints(withEndpoints({ web: "web.ns.svc.cluster.local:80" }))).toEqual(["endpoint web = web.ns.svc.cluster.local:80: no Service web in namespace ns (there: web-web, pg-rw, pg-ro, pg-r)"]);
        expect(checkEndpoints(withEndpoints({ web: "web-web.ns.svc.cluster.local:8080" }))).toEqual(["endpoint web = web-web.ns.svc.cluster.local:8080: Service ns/web-web (web) has ports 80, not 8080"]);
        expect(checkEndpoints(withEndpoints({ web: "http://web" }))).toEqual(['endpoint web = "http://web" is not <service>.<namespace>.svc.cluster.local:<port>']);
    });

    it("suggests the published versions around a missing one", () => {
        expect(neighbours(["0.34.0", "0.32.1", "0.33.0", "0.35.0", "0.31.0", "1.0.0-rc.1"], "0.33.1")).toEqual(["0.32.1", "0.33.0", "0.34.0", "0.35.0"]);
    });

    it("matches exemption objects with * for release-specific names", () => {
        expect(objectMatches("DaemonSet/*-node-exporter", "DaemonSet/monitoring-node-exporter")).toBe(true);
        expect(objectMatches("DaemonSet/*-node-exporter", "Deployment/monitoring-node-exporter")).toBe(false);
    });

    it("masks chart-generated Secret data and checksum annotations, keeping the rest", () => {
        const stream = "---\n# Source: a/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  token: cmFuZG9t\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      annotations:\n        checksum/secret: abc\n        keep: me\n";
        const masked = maskGenerated(stream);
        expect(masked).toContain("# Source: a/secret.yaml");
        expect(masked).toContain("token: <redacted>");
        expect(masked).not.toContain("cmFuZG9t");
        expect(masked).toContain("checksum/secret: <checksum>");
        expect(masked).toContain("keep: me");
    });
});

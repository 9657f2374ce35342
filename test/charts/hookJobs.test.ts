import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ThrowawayApiServer } from "./apiServer";

/*
 * The e2e suite's hook-Job completer (test/e2e/lib/hookjobs.sh) against a
 * real kube-apiserver (the toolchain's, on loopback, as the suite starts it):
 * the status it writes is one the API server accepts, on hook Jobs only.
 */

const ROOT = path.join(__dirname, "..", "..");
const LIB = path.join(ROOT, "test", "e2e", "lib");
const server = new ThrowawayApiServer("hookjobs");
const { dir, env } = server;
const kubectl = (args: string[], input?: string) => server.kubectl(args, input);

const job = (name: string, annotations: Record<string, string>) =>
    JSON.stringify({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, namespace: "default", annotations },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.37.0" }] } } },
    });

interface JobStatus {
    succeeded?: number;
    completionTime?: string;
    conditions?: { type: string; status: string; reason?: string }[];
}
const statusOf = (name: string): JobStatus => JSON.parse(kubectl(["-n", "default", "get", "job", name, "-o", "jsonpath={.status}"]).out || "{}") as JobStatus;

describe("hookjobs.sh: Helm hook Jobs marked complete as the Job controller would", () => {
    beforeAll(() => {
        server.start();
        const hooks = spawnSync("bash", [path.join(LIB, "hookjobs.sh"), "start", path.join(dir, "hooks"), server.kubeconfig], { env, encoding: "utf8" });
        if (hooks.status !== 0) throw new Error(hooks.stderr);
    });

    afterAll(() => {
        spawnSync("bash", [path.join(LIB, "hookjobs.sh"), "stop", path.join(dir, "hooks")], { env });
        server.stop();
    });

    it("completes a hook Job with SuccessCriteriaMet and Complete, and leaves a plain Job alone", () => {
        expect(kubectl(["create", "-f", "-"], job("plain", {})).status).toBe(0);
        expect(kubectl(["create", "-f", "-"], job("cert-create", { "helm.sh/hook": "pre-install,pre-upgrade" })).status).toBe(0);
        // What helm does: wait for the hook Job's Complete condition.
        const waited = kubectl(["-n", "default", "wait", "--for=condition=Complete", "--timeout=60s", "job/cert-create"]);
        expect(waited.out).toContain("condition met");
        const s = statusOf("cert-create");
        expect(s.succeeded).toBe(1);
        expect(s.completionTime).toBeDefined();
        expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
            ["SuccessCriteriaMet", "True", "CompletionsReached"],
            ["Complete", "True", "CompletionsReached"],
        ]);
        expect(fs.readFileSync(path.join(dir, "hooks", "hookjobs.log"), "utf8")).toBe("default/cert-create pre-install,pre-upgrade\n");
        // The plain Job was there before the hook Job was completed, and is untouched.
        expect(statusOf("plain")).toEqual({});
    });
});

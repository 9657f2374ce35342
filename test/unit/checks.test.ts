import { describe, expect, it } from "vitest";
import { nodeCapacities, planCapacity, tolerates } from "../../plan/capacity";
import { clusterWarnings, parseCidr } from "../../plan/checks";
import { cronProblem } from "../../config/cron";
import { clusterSchema } from "../../config/schema/cluster";
import { agent, clusterWith, server } from "../helpers/stacks";

describe("plan checks", () => {
    it("reads a CIDR only when it is a network address without leading zeros", () => {
        expect(parseCidr("10.42.0.0/16")).toEqual([10 * 2 ** 24 + 42 * 2 ** 16, 10 * 2 ** 24 + 42 * 2 ** 16 + 2 ** 16 - 1]);
        expect(parseCidr("10.42.0.1/16")).toBeUndefined();
        expect(parseCidr("010.42.0.0/16")).toBeUndefined();
        expect(parseCidr("10.42.0.0/33")).toBeUndefined();
        expect(parseCidr("10.42.0.0")).toBeUndefined();
    });

    it("accepts k3s's default snapshot schedule and refuses malformed ones", () => {
        expect(cronProblem("0 */12 * * *")).toBeUndefined();
        expect(cronProblem("15 2,14 * * 1-5")).toBeUndefined();
        expect(cronProblem("@every 1h")).toMatch(/descriptor/);
        expect(cronProblem("0 */0 * * *")).toMatch(/invalid hour field/);
        expect(cronProblem("61 * * * *")).toMatch(/invalid minute field/);
    });

    it("warns about embedded etcd on a Pi server without dataDir, and only then", () => {
        const ha = (dataDir?: string) =>
            clusterSchema.parse(
                clusterWith([server("cp-1", "10.0.0.10"), { ...agent("pi-1", "10.0.0.21"), role: "server", ...(dataDir ? { dataDir } : {}) }, { ...agent("pi-2", "10.0.0.22"), role: "server", dataDir: "/mnt/ssd" }], {
                    installScriptSha256: "e".repeat(64),
                }),
            );
        expect(clusterWarnings(ha())).toEqual([expect.stringMatching(/^picluster:cluster\.nodes\[1\] \(pi-1\) runs embedded etcd without dataDir/)]);
        expect(clusterWarnings(ha("/mnt/ssd"))).toEqual([]);
        expect(clusterWarnings(clusterSchema.parse(clusterWith([{ ...agent("pi-1", "10.0.0.21"), role: "server" }], { installScriptSha256: "e".repeat(64) })))).toEqual([]);
    });

    it("has nothing to warn about for the default installer: it is pinned by commit and sha256", () => {
        expect(clusterWarnings(clusterSchema.parse(clusterWith([server()])))).toEqual([]);
    });
});

describe("capacity with taints", () => {
    it("matches tolerations the way the scheduler does", () => {
        const taint = { key: "gpu", value: "true", effect: "NoSchedule" as const };
        expect(tolerates({ key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" }, taint)).toBe(true);
        expect(tolerates({ key: "gpu", operator: "Exists" }, taint)).toBe(true);
        expect(tolerates({ operator: "Exists" }, taint)).toBe(true);
        expect(tolerates({ key: "gpu", operator: "Equal", value: "false" }, taint)).toBe(false);
        expect(tolerates({ key: "gpu", operator: "Exists", effect: "NoExecute" }, taint)).toBe(false);
    });

    it("keeps untolerating workloads off a tainted node and lets PreferNoSchedule through", () => {
        const nodes = nodeCapacities([
            { name: "gpu", arch: "amd64", labels: {}, gpu: true, taints: [{ key: "gpu", value: "true", effect: "NoSchedule" }] },
            { name: "soft", arch: "arm64", labels: {}, gpu: false, taints: [{ key: "busy", effect: "PreferNoSchedule" }] },
        ]);
        const plan = planCapacity(
            [
                { name: "web", cpu: "100m", memory: "128Mi", replicas: 1, arch: "amd64" },
                { name: "llm", cpu: "1", memory: "1Gi", replicas: 1, arch: "amd64", tolerations: [{ key: "gpu", operator: "Exists" }] },
                { name: "api", cpu: "100m", memory: "128Mi", replicas: 1, arch: "arm64" },
            ],
            nodes,
        );
        expect(plan.unplaced.map((u) => [u.replica, u.reason])).toEqual([["web", "no declared node matches (arch amd64; gpu has taint gpu=true:NoSchedule and the workload does not tolerate it)"]]);
        expect(plan.nodes.map((n) => n.workloads)).toEqual([["llm"], ["api"]]);
    });
});

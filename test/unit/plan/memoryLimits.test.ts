import { describe, expect, it } from "vitest";
import { nodeCapacities } from "../../../plan/capacity";
import { memoryLimitProblems, workerTemplateLimits } from "../../../plan/memoryLimits";
import { workerAgentsSchema } from "../../../config/schema/agents";

const nodes = nodeCapacities([
    { name: "cp-1", arch: "amd64", labels: {}, gpu: false, capacity: { cpu: 8, memory: "32Gi" }, taints: [] },
    { name: "pi-1", arch: "arm64", labels: {}, gpu: false, capacity: { cpu: 4, memory: "8Gi" }, taints: [] },
    { name: "pi-big", arch: "arm64", labels: { big: "yes" }, gpu: false, capacity: { cpu: 4, memory: "16Gi" }, taints: [{ key: "big", effect: "NoSchedule" }] },
]);
const demand = (limitMemory: string, over: Record<string, unknown> = {}) => ({ name: "rustic-ai/agent-host", cpu: "500m", memory: "1Gi", replicas: 1, arch: "arm64" as const, limitMemory, limitKey: "agentHost.resources.limits.memory", ...over });

describe("memory limits against the nodes a workload may run on", () => {
    it("refuses a limit as large as a whole Pi, naming the key, the node and the largest limit that fits", () => {
        expect(memoryLimitProblems([demand("8Gi")], nodes)).toEqual([
            expect.stringMatching(/^picluster:agentHost\.resources\.limits\.memory = "8Gi": rustic-ai\/agent-host may run on nodes of at most 8Gi \(pi-1\).*lower it to at most 7372Mi/),
        ]);
    });

    it("accepts a limit within 90 % of the largest matching node", () => {
        expect(memoryLimitProblems([demand("7Gi"), demand("28Gi", { arch: "amd64" })], nodes)).toEqual([]);
    });

    it("counts a tainted bigger node only for workloads that tolerate its taint", () => {
        expect(memoryLimitProblems([demand("12Gi")], nodes)).toHaveLength(1);
        expect(memoryLimitProblems([demand("12Gi", { tolerations: [{ key: "big", operator: "Exists" }] })], nodes)).toEqual([]);
    });

    it("leaves workloads no node matches to the capacity check, and demands without a limit alone", () => {
        expect(memoryLimitProblems([demand("100Gi", { nodeSelector: { zone: "nowhere" } }), { name: "x", cpu: 1, memory: "1Gi", replicas: 1 }], nodes)).toEqual([]);
    });

    it("checks each worker template's limit where its arch lets it run", () => {
        const spec = workerAgentsSchema.parse({
            enabled: true,
            quota: { limits: { cpu: "8", memory: "64Gi" } },
            templates: [{ name: "big", image: "registry.lan/x:1.0.0", arch: "arm64", resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "10Gi" } } }],
        });
        expect(memoryLimitProblems(workerTemplateLimits(spec), nodes)).toEqual([expect.stringMatching(/^picluster:workerAgents\.templates\[0\]\.resources\.limits\.memory = "10Gi": worker-agents\/big/)]);
        expect(workerTemplateLimits({ ...spec, enabled: false })).toEqual([]);
    });
});

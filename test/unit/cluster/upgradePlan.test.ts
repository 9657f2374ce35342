import { describe, expect, it } from "vitest";
import { planCluster } from "../../../plan/cluster";
import { K3sCluster } from "../../../components/cluster/k3sCluster";
import { checkUpgradeBatches } from "../../../plan/topology";
import { capacityAbsorbs, disruptionBudgets, disruptionGroupsFor, planClusterUpgrade } from "../../../plan/upgradePlan";
import { nodeCapacities, type WorkloadDemand } from "../../../plan/capacity";
import { loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { clusterSchema } from "../../../config/schema/cluster";
import { dependencyNames, recorder, resetRegistry, valueOf } from "../../helpers/mocks";
import { agent, clusterWith, server, stackSource, TEST_SSH_KEY } from "../../helpers/stacks";

const fourPis = [server("cp-1", "10.0.0.10"), agent("pi-1", "10.0.0.21"), agent("pi-2", "10.0.0.22"), agent("pi-3", "10.0.0.23"), agent("pi-4", "10.0.0.24")];
const nodes = clusterSchema.parse(clusterWith(fourPis)).nodes;
const demand = (name: string, memory: string, replicas: number, extra: Partial<WorkloadDemand> = {}): WorkloadDemand => ({
    name,
    cpu: "100m",
    memory,
    replicas,
    arch: "arm64",
    ...extra,
});

describe("upgrade plan from the program's workloads", () => {
    it("reads the agent-host pool's, CloudNativePG's and multi-replica apps' budgets from config", () => {
        const cfg = loadConfig(stackSource("pi"));
        const budgets = disruptionBudgets(cfg.services, cfg.apps, cfg.agentHost);
        // pi: minReplicas 3 with maxUnavailable 1 keeps 2 agent hosts running.
        expect(budgets).toContainEqual({ workload: "rustic-ai/agent-host", mustKeep: 2 });
        expect(budgets).toContainEqual({ workload: "postgres/instance", mustKeep: 1 });
        expect(budgets.filter((b) => b.workload.startsWith("apps/")).every((b) => b.mustKeep === 1)).toBe(true);
    });

    it("lets a batch take down all of a budgeted workload's nodes but those it keeps running", () => {
        const groups = disruptionGroupsFor([demand("rustic-ai/agent-host", "256Mi", 3)], [{ workload: "rustic-ai/agent-host", mustKeep: 2 }], nodeCapacities(nodes));
        expect(groups).toEqual([{ name: "pdb rustic-ai/agent-host", nodes: ["pi-1", "pi-2", "pi-3", "pi-4"], maxUnavailable: 2 }]);
    });

    it("still lets the one node of a pinned single-instance database upgrade (alone)", () => {
        const pinned = demand("postgres/instance", "1Gi", 1, { nodeSelector: { "kubernetes.io/hostname": "pi-2" } });
        expect(disruptionGroupsFor([pinned], [{ workload: "postgres/instance", mustKeep: 1 }], nodeCapacities(nodes))[0]).toMatchObject({ nodes: ["pi-2"], maxUnavailable: 1 });
    });

    it("says the remaining Pis absorb a batch only while the arm64 workloads still fit", () => {
        // Each Pi has 8Gi; 3 replicas of 5Gi need three Pis up.
        const absorbs = capacityAbsorbs([demand("big", "5Gi", 3)], nodeCapacities(nodes));
        expect(absorbs(["pi-1"])).toBe(true);
        expect(absorbs(["pi-1", "pi-2"])).toBe(false);
        expect(absorbs(["cp-1"])).toBe(true);
    });

    it("does not blame a batch for replicas that fit nowhere to begin with", () => {
        const absorbs = capacityAbsorbs([demand("huge", "64Gi", 1)], nodeCapacities(nodes));
        expect(absorbs(["pi-1", "pi-2"])).toBe(true);
    });

    it("plans 1 server + 4 agents at concurrency 2 as three batches, and lowers it when capacity is short", () => {
        const roomy = planClusterUpgrade({ nodes, agentConcurrency: 2, demands: [demand("small", "1Gi", 2)], budgets: [] });
        expect(roomy).toEqual({ batches: [["cp-1"], ["pi-1", "pi-2"], ["pi-3", "pi-4"]], warnings: [] });
        const tight = planClusterUpgrade({ nodes, agentConcurrency: 2, demands: [demand("big", "5Gi", 3)], budgets: [] });
        expect(tight.batches).toEqual([["cp-1"], ["pi-1"], ["pi-2"], ["pi-3"], ["pi-4"]]);
        expect(tight.warnings).toEqual(["agents upgrade in 4 batches, not 2: agentConcurrency 2 lowered by capacity (arm64)"]);
    });
});

describe("upgrade batches wired into K3sCluster", () => {
    it("drains a batch after every node of the previous batch is Ready, and the first agents after the server", async () => {
        resetRegistry();
        const rec = recorder();
        const cfg = loadConfig(objectSource("c2", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith(fourPis, { upgrade: { agentConcurrency: 2 } }) }, ["sshPrivateKey"]));
        const c = new K3sCluster("cluster", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(c.kubeconfig);
        const deps = async (name: string) => dependencyNames((rec.resources.find((r) => r.name === name) as { opts: object }).opts);
        expect(await deps("cp-1-drain")).toEqual(["cp-1-install"]);
        expect(await deps("pi-1-drain")).toEqual(["cp-1-upgrade", "pi-1-install"]);
        expect(await deps("pi-2-drain")).toEqual(["cp-1-upgrade", "pi-2-install"]);
        expect(await deps("pi-3-drain")).toEqual(["pi-1-upgrade", "pi-2-upgrade", "pi-3-install"]);
        expect(await deps("pi-4-drain")).toEqual(["pi-1-upgrade", "pi-2-upgrade", "pi-4-install"]);
        // Installs are unchanged: every agent joins right after the first server.
        expect(await deps("pi-3-install")).toEqual(["cp-1-install", "pi-3-preinstall"]);
    });

    it("follows batches given by the plan, even out of declared order", async () => {
        resetRegistry();
        const rec = recorder();
        const cfg = loadConfig(objectSource("pdb", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith(fourPis) }, ["sshPrivateKey"]));
        const batches = [["cp-1"], ["pi-1", "pi-3"], ["pi-2", "pi-4"]];
        const c = new K3sCluster("cluster", { plan: planCluster(cfg.cluster, batches), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(c.kubeconfig);
        const deps = async (name: string) => dependencyNames((rec.resources.find((r) => r.name === name) as { opts: object }).opts);
        expect(await deps("pi-2-drain")).toEqual(["pi-1-upgrade", "pi-2-install", "pi-3-upgrade"]);
    });

    it("refuses batches that skip a node or do not start with the servers alone", () => {
        expect(() => checkUpgradeBatches([["cp-1"], ["pi-1", "pi-2", "pi-3"]], nodes)).toThrow(/must name each of \[cp-1, pi-1, pi-2, pi-3, pi-4\] exactly once/);
        expect(() => checkUpgradeBatches([["cp-1", "pi-1"], ["pi-2", "pi-3", "pi-4"]], nodes)).toThrow(/must start with the servers \[cp-1\], one per batch/);
    });

    it("refuses an agentConcurrency below 1, naming the key", () => {
        const r = clusterSchema.safeParse(clusterWith(fourPis, { upgrade: { agentConcurrency: 0 } }));
        expect(r.success).toBe(false);
        expect(JSON.stringify(r.error?.issues)).toMatch(/"upgrade","agentConcurrency".*must be at least 1/);
        expect(clusterSchema.parse(clusterWith(fourPis)).upgrade.agentConcurrency).toBe(1);
    });
});

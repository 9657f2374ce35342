import { describe, expect, it } from "vitest";
import { planUpgradeBatches } from "../../../plan/upgradeBatches";

type Node = { name: string; role: "server" | "agent"; arch: "amd64" | "arm64" };
const server = (name: string): Node => ({ name, role: "server", arch: "amd64" });
const pi = (name: string): Node => ({ name, role: "agent", arch: "arm64" });

const oneServerFourPis = [server("cp-1"), pi("pi-1"), pi("pi-2"), pi("pi-3"), pi("pi-4")];

describe("upgrade batch planner", () => {
    it("upgrades servers first and one at a time, whatever the agent concurrency", () => {
        const plan = planUpgradeBatches({ nodes: [pi("pi-1"), server("cp-1"), server("cp-2"), server("cp-3")], agentConcurrency: 5 });
        expect(plan.batches).toEqual([["cp-1"], ["cp-2"], ["cp-3"], ["pi-1"]]);
    });

    it("rolls agents one at a time by default", () => {
        const plan = planUpgradeBatches({ nodes: oneServerFourPis, agentConcurrency: 1 });
        expect(plan.batches).toEqual([["cp-1"], ["pi-1"], ["pi-2"], ["pi-3"], ["pi-4"]]);
        expect(plan.warnings).toEqual([]);
    });

    it("takes agents in batches of agentConcurrency, in declared order", () => {
        const plan = planUpgradeBatches({ nodes: oneServerFourPis, agentConcurrency: 2 });
        expect(plan.batches).toEqual([["cp-1"], ["pi-1", "pi-2"], ["pi-3", "pi-4"]]);
        expect(plan.warnings).toEqual([]);
    });

    it("never puts two nodes of a budget with one spare disruption into the same batch", () => {
        const plan = planUpgradeBatches({
            nodes: oneServerFourPis,
            agentConcurrency: 2,
            disruptionGroups: [{ name: "pdb agents/agent-host", nodes: ["pi-1", "pi-2"], maxUnavailable: 1 }],
        });
        expect(plan.batches).toEqual([["cp-1"], ["pi-1", "pi-3"], ["pi-2", "pi-4"]]);
        for (const batch of plan.batches) expect(batch.filter((n) => n === "pi-1" || n === "pi-2").length).toBeLessThanOrEqual(1);
    });

    it("lowers the batch when the remaining nodes cannot absorb it, and says so", () => {
        // Workloads fit with any one Pi down, never with two.
        const plan = planUpgradeBatches({ nodes: oneServerFourPis, agentConcurrency: 2, absorbs: (down) => down.length <= 1 });
        expect(plan.batches).toEqual([["cp-1"], ["pi-1"], ["pi-2"], ["pi-3"], ["pi-4"]]);
        expect(plan.warnings).toEqual(["agents upgrade in 4 batches, not 2: agentConcurrency 2 lowered by capacity (arm64)"]);
    });

    it("still upgrades a node whose workloads have nowhere else to go, with a warning naming it", () => {
        const plan = planUpgradeBatches({ nodes: [server("cp-1"), pi("pi-1")], agentConcurrency: 1, absorbs: (down) => !down.includes("pi-1") });
        expect(plan.batches).toEqual([["cp-1"], ["pi-1"]]);
        expect(plan.warnings).toEqual(["pi-1: its workloads have no room elsewhere while it upgrades; they wait Pending until it is back"]);
    });

    it("refuses a concurrency below one", () => {
        expect(() => planUpgradeBatches({ nodes: oneServerFourPis, agentConcurrency: 0 })).toThrow(/agentConcurrency must be a whole number >= 1, got 0/);
    });
});

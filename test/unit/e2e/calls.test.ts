import { describe, expect, it } from "vitest";
import { isUncordon, kubectlTarget, mutatingCalls, parseCalls, rollingUpgradeProblems } from "../../e2e/lib/calls";

const line = (at: number, node: string, rest: string) => `${at}.000000001 node=${node} event=${rest}`;
const upgrade = (t: number, node: string) => [
    line(t, "s1", `kubectl args=drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=300s`),
    line(t + 1, node, "install-start version=v2 exec=agent"),
    line(t + 2, node, `systemctl verb=restart unit=${node.startsWith("s") ? "k3s" : "k3s-agent"} no_block=1`),
    line(t + 3, "s1", `kubectl args=get node ${node}`),
    line(t + 4, "s1", `kubectl args=uncordon ${node}`),
];

describe("e2e call log", () => {
    it("parses fields and kubectl arguments", () => {
        const [c] = parseCalls(line(5, "s1", "kubectl args=delete node a1 --wait=true") + "\nnoise\n");
        expect(c).toMatchObject({ at: 5.000000001, node: "s1", event: "kubectl", args: ["delete", "node", "a1", "--wait=true"] });
        expect(kubectlTarget(c)).toBe("a1");
        const [i] = parseCalls(line(6, "a1", "install version=v1.33.5+k3s1 exec=agent"));
        expect(i.fields).toEqual({ version: "v1.33.5+k3s1", exec: "agent" });
    });

    it("counts node-ready.sh's uncordon-and-unmark patch as the node's uncordon, and no other patch", () => {
        const unmark = '"metadata":{"annotations":{"picluster.io/drained-for":null,"picluster.io/cnpg-maintenance":null}}';
        const [patch, marksOnly, plain] = parseCalls(
            [
                line(1, "s1", `kubectl args=patch node a1 --type=merge -p {"spec":{"unschedulable":null},${unmark}}`),
                line(2, "s1", `kubectl args=patch node a1 --type=merge -p {${unmark}}`),
                line(3, "s1", "kubectl args=uncordon a1"),
            ].join("\n"),
        );
        expect(isUncordon(patch, "a1")).toBe(true);
        expect(isUncordon(patch, "a2")).toBe(false);
        expect(isUncordon(marksOnly)).toBe(false);
        expect(isUncordon(plain, "a1")).toBe(true);
        const rolled = parseCalls(
            [
                line(10, "s1", "kubectl args=drain a1 --ignore-daemonsets"),
                line(11, "a1", "systemctl verb=restart unit=k3s-agent no_block=1"),
                line(12, "s1", `kubectl args=patch node a1 --type=merge -p {"spec":{"unschedulable":null},${unmark}}`),
            ].join("\n"),
        );
        expect(rollingUpgradeProblems(rolled, ["a1"])).toEqual([]);
    });

    it("leaves polls and clock checks out of the mutating calls", () => {
        const calls = parseCalls([line(1, "s1", "kubectl args=get node a1"), line(2, "a1", "timedatectl args=show"), line(3, "s1", "kubectl args=uncordon a1")].join("\n"));
        expect(mutatingCalls(calls).map((c) => c.args[0])).toEqual(["uncordon"]);
    });

    it("counts systemd queries as reads and starts and restarts as changes", () => {
        const calls = parseCalls([line(1, "a1", "systemctl verb=is-active unit=k3s-agent no_block=0"), line(2, "a1", "systemctl verb=restart unit=k3s-agent no_block=1")].join("\n"));
        expect(mutatingCalls(calls).map((c) => c.fields.verb)).toEqual(["restart"]);
    });

    it("accepts servers first, one node at a time", () => {
        const calls = parseCalls([...upgrade(10, "s1"), ...upgrade(20, "a1"), ...upgrade(30, "a2")].join("\n"));
        expect(rollingUpgradeProblems(calls, ["s1", "a1", "a2"])).toEqual([]);
    });

    it("reports interleaved upgrades", () => {
        const calls = parseCalls([...upgrade(10, "s1"), ...upgrade(20, "a1"), ...upgrade(22, "a2")].join("\n"));
        expect(rollingUpgradeProblems(calls, ["s1", "a1", "a2"])).toEqual([expect.stringContaining("node a2 started")]);
    });

    it("reports an agent upgraded before the server and a skipped drain", () => {
        const agentFirst = [...upgrade(10, "a1"), ...upgrade(20, "s1")].join("\n");
        expect(rollingUpgradeProblems(parseCalls(agentFirst), ["s1", "a1"])[0]).toContain("order [a1, s1]");
        const noDrain = upgrade(10, "a1").filter((l) => !l.includes("drain")).join("\n");
        expect(rollingUpgradeProblems(parseCalls(noDrain), ["a1"])).toEqual(["node a1: steps restart → uncordon, expected drain → restart → uncordon"]);
    });
});

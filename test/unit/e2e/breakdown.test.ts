import { describe, expect, it } from "vitest";
import { columnNames, formatBreakdown, upgradeBreakdown } from "../../bench/breakdown";
import { parseCalls } from "../../e2e/lib/calls";

const line = (at: number, node: string, rest: string) => `${at.toFixed(2)} node=${node} event=${rest}`;
/** One node's upgrade as the stubs log it, starting at t. */
const upgrade = (t: number, node: string) => [
    line(t, "s1", `kubectl args=get node ${node} -o jsonpath={.status.nodeInfo.kubeletVersion}`),
    line(t + 0.3, "s1", `kubectl args=drain ${node} --ignore-daemonsets`),
    line(t + 0.8, node, "install-start version=v2 exec=agent"),
    line(t + 0.85, node, "systemctl verb=restart unit=k3s-agent no_block=1"),
    line(t + 0.9, node, "k3s-start version=v2 role=agent"),
    line(t + 6.4, node, "k3s-ready version=v2 role=agent"),
    line(t + 6.8, "s1", `kubectl args=wait --for=condition=Ready node/${node} --timeout=300s`),
    line(t + 7.0, "s1", `kubectl args=uncordon ${node}`),
];

describe("upgrade breakdown from the call log", () => {
    it("cuts each node's upgrade at the stubs' events, in upgrade order, and hands over to the next node", () => {
        const calls = parseCalls([...upgrade(10, "a1"), ...upgrade(17.5, "a2")].join("\n"));
        const rows = upgradeBreakdown(calls, ["a2", "a1"]);
        expect(rows.map((r) => r.node)).toEqual(["a1", "a2"]);
        const a1 = rows[0].phases;
        expect(a1["drain reads"]).toBeCloseTo(0.3);
        expect(a1["to restart"]).toBeCloseTo(0.55);
        expect(a1["install.sh"]).toBeCloseTo(0.05);
        expect(a1["unit start"]).toBeCloseTo(0.05);
        expect(a1["k3s start"]).toBeCloseTo(5.5);
        expect(a1["to gate"]).toBeCloseTo(0.4);
        expect(a1.gate).toBeCloseTo(0.2);
        expect(a1["to next"]).toBeCloseTo(0.5);
        expect(rows[1].phases["to next"]).toBeUndefined();
        expect(formatBreakdown(rows)).toMatch(/^k3s start\s+5\.50\s+5\.50\s+5\.50$/m);
    });

    it("counts no hand-over to the gate when its watch started while k3s was starting", () => {
        const early = upgrade(10, "a1").map((l) => l.replace("16.80 node=s1 event=kubectl args=wait", "11.20 node=s1 event=kubectl args=wait"));
        const calls = parseCalls(early.sort((x, y) => parseFloat(x) - parseFloat(y)).join("\n"));
        const [a1] = upgradeBreakdown(calls, ["a1"]);
        expect(a1.phases["to gate"]).toBe(0);
        // From k3s-ready (16.4) to the uncordon (17.0): the watch seeing the node, then the uncordon.
        expect(a1.phases.gate).toBeCloseTo(0.6);
        expect(a1.phases["(start → gate)"]).toBeCloseTo(0.3);
    });

    it("leaves out of the drain reads what the next drain read while it waited for the previous node", () => {
        // a2's drain read its node at 11.0, while waiting for a1 (uncordoned at 17.0), then drained at 17.3.
        const waited = [...upgrade(10, "a1"), line(11, "s1", "kubectl args=get node a2 -o jsonpath={.status.nodeInfo.kubeletVersion}"), ...upgrade(17, "a2").slice(1)];
        const calls = parseCalls(waited.sort((x, y) => parseFloat(x) - parseFloat(y)).join("\n"));
        const [a1, a2] = upgradeBreakdown(calls, ["a1", "a2"]);
        expect(a2.phases["drain reads"]).toBe(0);
        expect(a1.phases["to next"]).toBeCloseTo(0.3);
    });

    it("counts an upgrade whose installer did not run (unchanged) from the drain to the restart, with no install.sh phase", () => {
        const calls = parseCalls(upgrade(10, "a1").filter((l) => !l.includes("install-start")).join("\n"));
        const [a1] = upgradeBreakdown(calls, ["a1"]);
        expect(a1.phases["to restart"]).toBeCloseTo(0.55);
        expect(a1.phases["install.sh"]).toBeUndefined();
    });

    it("heads each column with the node's name less the prefix all share", () => {
        expect(columnNames(["e2e-server-1", "e2e-agent-1", "e2e-agent-2"])).toEqual(["server-1", "agent-1", "agent-2"]);
        expect(columnNames(["e2e-b-server", "e2e-b-agent-1"])).toEqual(["server", "agent-1"]);
        expect(columnNames(["a1", "a2"])).toEqual(["a1", "a2"]);
        expect(columnNames(["solo-node"])).toEqual(["solo-node"]);
    });
});

import { describe, expect, it } from "vitest";
import { batchesOf, changes, downIntervals, maxOverlap, repairGenerations } from "../../e2e/drift";
import { parseCalls } from "../../e2e/lib/calls";

const log = (lines: [number, string, string][]) =>
    parseCalls(lines.map(([at, node, rest]) => `${at} node=${node} event=${rest}`).join("\n"));

describe("e2e upgrade batches from the call log", () => {
    // cp drains/restarts/uncordons alone, then a1+a2 together, then a3+a4.
    const calls = log([
        [1, "cp", "kubectl args=drain cp --ignore-daemonsets"],
        [2, "cp", "systemctl verb=restart unit=k3s no_block=1"],
        [3, "cp", "kubectl args=uncordon cp"],
        [4, "cp", "kubectl args=drain a1"],
        [4.1, "cp", "kubectl args=drain a2"],
        [5, "a1", "systemctl verb=restart unit=k3s-agent no_block=1"],
        [5.2, "a2", "systemctl verb=restart unit=k3s-agent no_block=1"],
        [6, "cp", "kubectl args=uncordon a1"],
        [6.3, "cp", "kubectl args=uncordon a2"],
        [7, "cp", "kubectl args=drain a3"],
        [7.1, "cp", "kubectl args=drain a4"],
        [8, "a3", "systemctl verb=restart unit=k3s-agent no_block=1"],
        [8, "a4", "systemctl verb=restart unit=k3s-agent no_block=1"],
        [9, "cp", "kubectl args=uncordon a3"],
        [9, "cp", "kubectl args=uncordon a4"],
    ]);
    const down = downIntervals(calls, ["cp", "a1", "a2", "a3", "a4"]);

    it("finds each node's time from drain to uncordon", () => {
        expect(down.find((d) => d.node === "a2")).toEqual({ node: "a2", from: 4.1, to: 6.3 });
    });

    it("groups overlapping nodes into the batches that ran", () => {
        expect(batchesOf(down)).toEqual([["cp"], ["a1", "a2"], ["a3", "a4"]]);
    });

    it("counts the most agents down at once", () => {
        expect(maxOverlap(down.filter((d) => d.node !== "cp"))).toBe(2);
        expect(maxOverlap([{ from: 0, to: 2 }, { from: 1, to: 3 }, { from: 1.5, to: 4 }])).toBe(3);
        expect(maxOverlap([{ from: 0, to: 1 }, { from: 1, to: 2 }])).toBe(1);
    });
});

describe("each node's repair generation from a stack export", () => {
    it("reads the generation of every observation, by resource name, and nothing else", () => {
        const exported = JSON.stringify({
            deployment: {
                resources: [
                    { urn: "urn:pulumi:e2e::picluster::picluster:cluster:NodeRepair$pulumi-nodejs:dynamic/picluster:NodeObservation::e2e-agent-1-observed", type: "pulumi-nodejs:dynamic/picluster:NodeObservation", outputs: { generation: 2 } },
                    { urn: "urn:pulumi:e2e::picluster::command:remote:Command::e2e-agent-1-install", type: "command:remote:Command", outputs: { generation: 9 } },
                    { urn: "urn:pulumi:e2e::picluster::pulumi-nodejs:dynamic/picluster:NodeObservation::e2e-server-1-observed", type: "pulumi-nodejs:dynamic/picluster:NodeObservation", outputs: {} },
                ],
            },
        });
        expect(repairGenerations(exported)).toEqual({ "e2e-agent-1-observed": 2, "e2e-server-1-observed": -1 });
    });
});

describe("what a preview would change, from preview --json", () => {
    it("lists the changes and, apart, those of Kubernetes resources and the Kubernetes provider", () => {
        const urn = (type: string, name: string) => `urn:pulumi:e2e::picluster::picluster:index:Picluster$picluster:cluster:K3sCluster$${type}::${name}`;
        const json = JSON.stringify({
            steps: [
                { op: "update", urn: urn("command:remote:Command", "e2e-agent-1-upgrade") },
                { op: "same", urn: urn("kubernetes:core/v1:Namespace", "ai-services") },
                { op: "update", urn: urn("kubernetes:core/v1:NodePatch", "e2e-agent-1-metadata") },
                { op: "update", urn: urn("pulumi:providers:kubernetes", "cluster-k8s") },
                { op: "update", urn: urn("pulumi-nodejs:dynamic/picluster:NodeObservation", "e2e-agent-1-observed"), oldState: { outputs: { repairs: [] } } },
            ],
        });
        const c = changes(json);
        expect(c.changed).toEqual(["update cluster-k8s", "update e2e-agent-1-metadata", "update e2e-agent-1-observed", "update e2e-agent-1-upgrade"]);
        expect(c.kubernetes).toEqual(["update cluster-k8s", "update e2e-agent-1-metadata"]);
        expect(c.repairs).toEqual([]);
    });
});

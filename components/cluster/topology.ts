import type { NodeSpec } from "../../stacks/schema/cluster";
import { firstServer, type JoinRole } from "./k3sConfig";

/*
 * The cluster's shape, as pure functions of the declared nodes: who joins
 * how, in which order nodes are upgraded, and the labels picluster adds.
 */

/** Checks that the batches name every declared node once, servers first, alone and in declared order. */
export function checkUpgradeBatches(batches: string[][], nodes: NodeSpec[]): void {
    const listed = batches.flat();
    const declared = nodes.map((n) => n.name);
    const servers = nodes.filter((n) => n.role === "server").map((n) => n.name);
    const shown = `[${batches.map((b) => b.join(",")).join(" | ")}]`;
    if (listed.length !== declared.length || declared.some((n) => !listed.includes(n))) {
        throw new Error(`upgrade batches ${shown} must name each of [${declared.join(", ")}] exactly once`);
    }
    if (servers.some((s, i) => batches[i]?.length !== 1 || batches[i][0] !== s)) {
        throw new Error(`upgrade batches ${shown} must start with the servers [${servers.join(", ")}], one per batch, in declared order`);
    }
}

/** Order in which nodes take part in a rolling upgrade: servers first, each group in declared order. */
export function upgradeOrder(nodes: NodeSpec[]): NodeSpec[] {
    return [...nodes.filter((n) => n.role === "server"), ...nodes.filter((n) => n.role === "agent")];
}

/** The node's way into the cluster: the first server initialises it, later servers and agents join. */
export function joinRoleOf(node: NodeSpec, nodes: NodeSpec[]): JoinRole {
    if (node.role === "agent") return "agent";
    return firstServer(nodes) === node ? "init" : "join-server";
}

/** The labels picluster applies to a node on top of the user's. */
export function nodeLabels(node: NodeSpec): Record<string, string> {
    return {
        ...(node.role === "agent" ? { "node-role.kubernetes.io/worker": "true" } : {}),
        ...(node.gpu ? { "picluster.io/gpu": "true" } : {}),
        ...node.labels,
    };
}

import { endpointHost, type ClusterSpec, type NodeSpec } from "../config/schema/cluster";

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

/** How a node enters the cluster. */
export type JoinRole = "init" | "join-server" | "agent";

export const K3S_API_PORT = 6443;

/** `host[:port]`, `[v6][:port]` or a bare IPv6 address → the https URL of the API server (IPv6 bracketed). */
export function apiServerUrl(endpoint: string): string {
    if (/^[^:]+:\d+$/.test(endpoint) || /^\[.*\]:\d+$/.test(endpoint)) return `https://${endpoint}`;
    const host = endpointHost(endpoint);
    return `https://${host.includes(":") ? `[${host}]` : host}:${K3S_API_PORT}`;
}

/** The first declared server: it initialises the cluster and runs kubectl for the others. */
export function firstServer(nodes: NodeSpec[]): NodeSpec | undefined {
    return nodes.find((n) => n.role === "server");
}

/** Several servers mean embedded etcd: cluster-init, snapshots, etcd ports. */
export function isHighlyAvailable(nodes: NodeSpec[]): boolean {
    return nodes.filter((n) => n.role === "server").length > 1;
}

/** The address nodes and clients use to reach the API: apiEndpoint, else the VIP, else the first server's host. */
export function apiEndpointOf(cluster: ClusterSpec): string {
    return cluster.apiEndpoint ?? cluster.apiVip ?? firstServer(cluster.nodes)?.host ?? "127.0.0.1";
}


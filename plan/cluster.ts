import type { ClusterSpec, NodeSpec } from "../config/schema/cluster";
import { apiEndpointOf, apiServerUrl, checkUpgradeBatches, firstServer, joinRoleOf, K3S_API_PORT, nodeLabels, upgradeOrder, type JoinRole } from "./topology";
import { planUpgradeBatches } from "./upgradeBatches";

/** One declared node as the cluster component builds it. */
export interface PlannedNode {
    spec: NodeSpec;
    /** How it enters the cluster: the first server initialises, later servers and agents join. */
    joinRole: JoinRole;
    /** The labels the program applies: its own and the user's. */
    labels: Record<string, string>;
    /** The nodes of the upgrade batch before this node's (its drain waits for their upgrades). */
    previousBatch: string[];
    /** The nodes of the batch after this node's (its drift observation waits for their upgrade steps). */
    nextBatch: string[];
}

/** What the K3sCluster component needs, all of it decided before any resource. */
export interface ClusterPlan {
    spec: ClusterSpec;
    /** The address nodes and clients use for the API: apiEndpoint, else the first server's host. */
    apiEndpoint: string;
    /** `https://<apiEndpoint>:6443`, IPv6 bracketed. */
    serverUrl: string;
    /** The first declared server: it initialises the cluster. */
    firstServer: NodeSpec;
    /** Node names in rolling-upgrade order, batch by batch (servers alone, first). */
    upgradeBatches: string[][];
    /** Every node, batch by batch: the order the install chain builds them in. */
    nodes: PlannedNode[];
    /** Servers first, each group in declared order: the order registries.yaml rolls in. */
    rollOrder: NodeSpec[];
    /**
     * The API's virtual IP (`cluster.apiVip`): kube-vip announces it from the
     * servers; every node but the first server joins through it once it
     * answers on `port` (the apiEndpoint's), and the kubeconfig names it.
     */
    apiVip?: { address: string; interface?: string; port: number };
}

/**
 * Plans the bootstrapped cluster's shape. `upgradeBatches` come from the
 * stack plan (sized by capacity and disruption budgets); without them,
 * servers one at a time, then agents by `upgrade.agentConcurrency`.
 */
export function planCluster(spec: ClusterSpec, upgradeBatches?: string[][]): ClusterPlan {
    const primary = firstServer(spec.nodes);
    if (!primary) throw new Error("invariant: a bootstrapped cluster has a server (config/schema/cluster.ts refuses none)");
    const batches = upgradeBatches ?? planUpgradeBatches({ nodes: spec.nodes, agentConcurrency: spec.upgrade.agentConcurrency }).batches;
    checkUpgradeBatches(batches, spec.nodes);
    const byName = new Map(spec.nodes.map((n) => [n.name, n]));
    const apiEndpoint = apiEndpointOf(spec);
    const nodes = batches.flatMap((batch, i) =>
        batch.map((name) => {
            const node = byName.get(name) as NodeSpec;
            return { spec: node, joinRole: joinRoleOf(node, spec.nodes), labels: nodeLabels(node), previousBatch: batches[i - 1] ?? [], nextBatch: batches[i + 1] ?? [] };
        }),
    );
    const serverUrl = apiServerUrl(apiEndpoint);
    const apiVip = spec.apiVip === undefined ? undefined : { address: spec.apiVip, interface: spec.apiVipInterface, port: Number(/:(\d+)$/.exec(serverUrl)?.[1] ?? K3S_API_PORT) };
    return { spec, apiEndpoint, serverUrl, firstServer: primary, upgradeBatches: batches, nodes, rollOrder: upgradeOrder(spec.nodes), ...(apiVip ? { apiVip } : {}) };
}

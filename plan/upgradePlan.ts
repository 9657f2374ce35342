/**
 * The rolling-upgrade plan of a stack: which nodes upgrade together. Pure
 * (no Pulumi): it takes the same workload demands as the capacity check plus
 * the program's own disruption budgets, so it can run in a plan stage before
 * any resource exists.
 */
import type { AgentHostSpec } from "../config/schema/agents";
import type { AppsSpec } from "../config/schema/apps";
import type { NodeSpec } from "../config/schema/cluster";
import type { ServicesSpec } from "../config/schema/services";
import { AGENT_HOST_NAMESPACE } from "./agentDemand";
import { matches, nodeCapacities, planCapacity, type NodeCapacity, type WorkloadDemand } from "./capacity";
import { planUpgradeBatches, type DisruptionGroup, type UpgradeBatchPlan } from "./upgradeBatches";

/** A PodDisruptionBudget this program creates: the workload (a demand's name) and how many of its pods it keeps running. */
export interface DisruptionBudget {
    workload: string;
    mustKeep: number;
}

/**
 * The budgets of the workloads the program deploys with a PDB: apps with
 * more than one replica (`minAvailable: 1`), the agent-host pool
 * (`maxUnavailable: 1` at `minReplicas`) and the CloudNativePG instances
 * (the operator keeps the primary's `minAvailable: 1`).
 */
export function disruptionBudgets(services: ServicesSpec, apps: AppsSpec, agentHost: AgentHostSpec): DisruptionBudget[] {
    return [
        ...apps.filter((a) => a.enabled && a.replicas > 1).map((a) => ({ workload: `apps/${a.name}`, mustKeep: 1 })),
        ...(agentHost.enabled ? [{ workload: `${AGENT_HOST_NAMESPACE}/agent-host`, mustKeep: Math.max(1, agentHost.minReplicas - 1) }] : []),
        ...(services.postgres.enabled ? [{ workload: "postgres/instance", mustKeep: 1 }] : []),
    ];
}

/**
 * One disruption group per budget: the nodes its pods may run on, of which a
 * batch may take down all but as many as the budget keeps running (at least
 * one, so a workload pinned to one node still lets that node upgrade alone).
 * A drain then never waits on an eviction the budget refuses for want of
 * another node to run on.
 */
export function disruptionGroupsFor(demands: WorkloadDemand[], budgets: DisruptionBudget[], nodes: NodeCapacity[]): DisruptionGroup[] {
    return budgets.flatMap((b) => {
        const demand = demands.find((d) => d.name === b.workload);
        if (!demand) return [];
        const hosts = nodes.filter((n) => matches(n, demand)).map((n) => n.name);
        return [{ name: `pdb ${b.workload}`, nodes: hosts, maxUnavailable: Math.max(1, hosts.length - b.mustKeep) }];
    });
}

/**
 * The capacity predicate: the nodes that stay up can take every replica the
 * full cluster can (a plan that already leaves replicas unplaced is not made
 * worse by the batch).
 */
export function capacityAbsorbs(demands: WorkloadDemand[], nodes: NodeCapacity[]): (down: string[]) => boolean {
    const baseline = planCapacity(demands, nodes).unplaced.length;
    return (down) => planCapacity(demands, nodes.filter((n) => !down.includes(n.name))).unplaced.length <= baseline;
}

export interface ClusterUpgradeArgs {
    nodes: NodeSpec[];
    agentConcurrency: number;
    /** Every workload's requests (platform + agents), as the capacity check takes them. */
    demands: WorkloadDemand[];
    budgets: DisruptionBudget[];
}

/** The batches and the warnings the preview shows when a batch had to be smaller than `agentConcurrency`. */
export function planClusterUpgrade(args: ClusterUpgradeArgs): UpgradeBatchPlan {
    const capacities = nodeCapacities(args.nodes);
    return planUpgradeBatches({
        nodes: args.nodes,
        agentConcurrency: args.agentConcurrency,
        disruptionGroups: disruptionGroupsFor(args.demands, args.budgets, capacities),
        absorbs: capacityAbsorbs(args.demands, capacities),
    });
}

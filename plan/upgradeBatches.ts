import type { NodeSpec } from "../config/schema/cluster";

/**
 * A set of nodes among which at most `maxUnavailable` may be down at once:
 * the nodes a PodDisruptionBudget's pods can run on, with the budget's
 * allowance (a single-instance database on one node has 0 spare replicas,
 * but its operator's maintenance window lets the node go: allowance 1).
 */
export interface DisruptionGroup {
    /** Names the group in warnings, e.g. `pdb postgres/postgres-primary`. */
    name: string;
    nodes: string[];
    maxUnavailable: number;
}

export interface UpgradeBatchArgs {
    /** Nodes in declared order. */
    nodes: Pick<NodeSpec, "name" | "role" | "arch">[];
    /** How many agents may upgrade at once (`cluster.upgrade.agentConcurrency`). */
    agentConcurrency: number;
    disruptionGroups?: DisruptionGroup[];
    /**
     * True when the planned workloads still fit on the nodes that stay up
     * while `down` are drained (the capacity check's verdict).
     */
    absorbs?: (down: string[]) => boolean;
}

export interface UpgradeBatchPlan {
    /** Node names, batch by batch: servers alone and first, then agents. */
    batches: string[][];
    /** Why batches are smaller than `agentConcurrency`, for the preview. */
    warnings: string[];
}

/**
 * Plans a rolling upgrade. Servers go one at a time (each is an etcd member
 * or the only datastore), then agents in batches of up to `agentConcurrency`.
 * An agent joins the first batch it fits: under the size, within every
 * disruption group's allowance, and with the remaining nodes able to absorb
 * the batch's workloads. First fit keeps the batch count low without
 * reordering more than the constraints force.
 */
export function planUpgradeBatches(args: UpgradeBatchArgs): UpgradeBatchPlan {
    const { nodes, agentConcurrency } = args;
    if (!Number.isInteger(agentConcurrency) || agentConcurrency < 1) {
        throw new Error(`agentConcurrency must be a whole number >= 1, got ${agentConcurrency}`);
    }
    const groups = args.disruptionGroups ?? [];
    const absorbs = args.absorbs ?? (() => true);
    const warnings: string[] = [];

    // Servers go alone whatever the room: nothing to adjust, so nothing to warn about.
    const batches: string[][] = nodes.filter((n) => n.role === "server").map((n) => [n.name]);

    const agentBatches: string[][] = [];
    const blockedBy = new Set<string>();
    for (const agent of nodes.filter((n) => n.role === "agent")) {
        const fit = agentBatches.find((batch) => {
            if (batch.length >= agentConcurrency) return false;
            const candidate = [...batch, agent.name];
            const group = groups.find((g) => candidate.filter((n) => g.nodes.includes(n)).length > g.maxUnavailable);
            if (group) {
                blockedBy.add(group.name);
                return false;
            }
            if (!absorbs(candidate)) {
                blockedBy.add(`capacity (${agent.arch})`);
                return false;
            }
            return true;
        });
        if (fit) fit.push(agent.name);
        else {
            agentBatches.push([agent.name]);
            if (!absorbs([agent.name])) {
                warnings.push(`${agent.name}: its workloads have no room elsewhere while it upgrades; they wait Pending until it is back`);
            }
        }
    }
    const agents = nodes.filter((n) => n.role === "agent").length;
    const ideal = Math.ceil(agents / agentConcurrency);
    if (agentConcurrency > 1 && agentBatches.length > ideal && blockedBy.size > 0) {
        warnings.push(
            `agents upgrade in ${agentBatches.length} batches, not ${ideal}: agentConcurrency ${agentConcurrency} lowered by ${[...blockedBy].sort().join(", ")}`,
        );
    }
    return { batches: [...batches, ...agentBatches], warnings };
}

import type * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../../plan/cluster";
import type { NodeConnections } from "../connection";
import type { InstallChain } from "../install/installChain";
import type { ObservationHost } from "./nodeObservation";
import { NodeRepair } from "./nodeRepair";

/**
 * Phase 3: drift, read only on --refresh and repaired on the next up
 * (nodeRepair.ts). Each observation also waits for the next batch's upgrade
 * steps: in an upgrade its update (it records the new version) then runs
 * while that batch's k3s starts, not in the engine at the moment the next
 * drain hands over to its upgrade.
 */
export function driftRepairs(parent: pulumi.Resource, plan: ClusterPlan, installed: InstallChain, connections: NodeConnections, host: ObservationHost): Record<string, NodeRepair> {
    const repairs: Record<string, NodeRepair> = {};
    for (const planned of plan.nodes) {
        const node = planned.spec;
        repairs[node.name] = new NodeRepair(
            node.name,
            {
                node,
                cluster: plan.spec,
                connection: connections.of(node),
                primaryConnection: connections.of(plan.firstServer),
                k3sConfig: installed.configs[node.name],
                after: [installed.nodes[node.name].ready, ...planned.nextBatch.map((n) => installed.nodes[n].upgrade)],
                host,
            },
            { parent },
        );
    }
    return repairs;
}

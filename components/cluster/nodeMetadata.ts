import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../plan/cluster";
import type { NodeRepair } from "./drift/nodeRepair";
import type { InstallChain } from "./install/installChain";

/**
 * Phase 5: labels and taints, server-side applied, so changing one changes
 * only it. After a repair too: a reinstalled node registers afresh, without
 * our labels.
 */
export function nodeMetadata(parent: pulumi.Resource, plan: ClusterPlan, provider: k8s.Provider, installed: InstallChain, repairs: Record<string, NodeRepair>): k8s.core.v1.NodePatch[] {
    return plan.spec.nodes.map((node) => {
        const planned = plan.nodes.find((p) => p.spec.name === node.name);
        return new k8s.core.v1.NodePatch(
            `${node.name}-metadata`,
            {
                metadata: {
                    name: node.name,
                    labels: planned?.labels ?? {},
                    // k3s's own field manager owns some node fields; take ours.
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                ...(node.taints.length > 0 ? { spec: { taints: node.taints } } : {}),
            },
            { parent, provider, dependsOn: [...installed.nodes[node.name].readyGate, repairs[node.name].observation] },
        );
    });
}

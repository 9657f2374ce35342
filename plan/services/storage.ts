import type { NodeSpec } from "../../config/schema/cluster";
import type { LonghornSpec, StorageSpec } from "../../config/schema/storage";
import { nodeCapacities, type WorkloadDemand } from "../capacity";
import { longhornReplicaNodes } from "../storage";
import { defineServicePlanner } from "./service";

export const LONGHORN_NAMESPACE = "longhorn-system";
/** Longhorn's default `guaranteedInstanceManagerCPU`: the share of each node's CPU its instance manager requests. */
export const INSTANCE_MANAGER_CPU_PERCENT = 12;

/**
 * What Longhorn reserves on the nodes: its manager on every node that can
 * hold a replica, and each node's instance manager, which requests
 * INSTANCE_MANAGER_CPU_PERCENT of that node's CPU (one demand per node,
 * pinned by hostname). The UI, the driver deployer and the CSI sidecars
 * request nothing.
 */
export function longhornDemands(spec: LonghornSpec, nodes: NodeSpec[]): WorkloadDemand[] {
    const eligible = new Set(longhornReplicaNodes(nodes));
    return [
        { name: "longhorn/manager", ...spec.managerResources.requests, limitMemory: spec.managerResources.limits.memory, limitKey: "services.storage.longhorn.managerResources.limits.memory", replicas: 1, perNode: true },
        ...nodeCapacities(nodes.filter((n) => eligible.has(n.name))).map((n) => ({
            name: `longhorn/instance-manager@${n.name}`,
            cpu: Math.round(n.cpu * INSTANCE_MANAGER_CPU_PERCENT * 10) / 1000,
            memory: "0",
            replicas: 1,
            nodeSelector: { "kubernetes.io/hostname": n.name },
        })),
    ];
}

/** Longhorn, when `services.storage.kind` is `longhorn`. */
export const storagePlanner = defineServicePlanner({
    key: "storage",
    charts: (spec) => [{ chart: "longhorn", repo: spec.longhorn.repo, version: spec.longhorn.version }],
    // longhorn-manager and the instance managers are privileged and mount the host.
    namespaces: [{ name: LONGHORN_NAMESPACE, podSecurity: "privileged" }],
    enabledBy: (spec: StorageSpec) => spec.kind === "longhorn",
    // Replicas against the nodes are checked once by the plan (plan/storage.ts).
    validate: () => [],
    objects: () => [
        { kind: "HelmRelease", namespace: LONGHORN_NAMESPACE, name: "longhorn" },
        { kind: "Service", namespace: LONGHORN_NAMESPACE, name: "longhorn-frontend" },
    ],
    // Longhorn's UI has no login.
    webUIs: () => [{ name: "longhorn", namespace: LONGHORN_NAMESPACE, service: "longhorn-frontend", port: 80 }],
    demands: (spec, ctx) => longhornDemands(spec.longhorn, ctx.nodes),
});

/**
 * The storage choice, planned: which class the platform's volumes use and,
 * for Longhorn, how many copies of each volume and which nodes can hold
 * them. Pure; plan/plan.ts runs it once, before any resource.
 */
import type { NodeSpec } from "../config/schema/cluster";
import type { ServicesSpec } from "../config/schema/services";
import { LONGHORN_STORAGE_CLASS, type LonghornSpec, type StorageKind } from "../config/schema/storage";

/** Longhorn's own default replica count, and the most the default asks for. */
export const LONGHORN_DEFAULT_REPLICAS = 3;

export interface LonghornPlan {
    spec: LonghornSpec;
    /** Copies of each volume, each on its own node. */
    replicas: number;
    /** The declared nodes that can hold a replica, in declared order (empty for an existing cluster). */
    replicaNodes: string[];
}

export interface StoragePlan {
    kind: StorageKind;
    /** The class of every volume that names none. */
    storageClass: string;
    /** The class Longhorn serves; volumes of it are replicated. */
    replicatedClass?: string;
    longhorn?: LonghornPlan;
}

/**
 * Nodes Longhorn can put a replica on: its manager is a DaemonSet without
 * tolerations, so a node with a NoSchedule/NoExecute taint runs none and
 * holds no replica. Architecture does not matter: a replica is data served
 * over the network by a multi-arch instance manager, so a pod on an arm64
 * node reads a volume whose copies sit on amd64 disks just as well.
 */
export function longhornReplicaNodes(nodes: Pick<NodeSpec, "name" | "taints">[]): string[] {
    return nodes.filter((n) => !(n.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute")).map((n) => n.name);
}

/**
 * Plans the storage choice. Problems (replicas no set of nodes can hold) and
 * warnings (risky but allowed) are appended, never thrown.
 */
export function planStorage(
    input: { services: Pick<ServicesSpec, "storage" | "storageClass">; nodes: NodeSpec[]; existingCluster: boolean },
    problems: string[],
    warnings: string[],
): StoragePlan {
    const { services, nodes } = input;
    const kind = services.storage.kind;
    if (kind !== "longhorn") return { kind, storageClass: services.storageClass };
    const spec = services.storage.longhorn;
    const key = "picluster:services.storage.longhorn";
    const eligible = longhornReplicaNodes(nodes);
    const tainted = nodes.filter((n) => !eligible.includes(n.name)).map((n) => n.name);
    const known = nodes.length > 0;
    const replicas = spec.replicas ?? (known ? Math.max(1, Math.min(LONGHORN_DEFAULT_REPLICAS, eligible.length)) : LONGHORN_DEFAULT_REPLICAS);
    if (known && eligible.length === 0) {
        problems.push(`picluster:services.storage.kind = "longhorn": every declared node has a NoSchedule/NoExecute taint (${tainted.join(", ")}), so Longhorn's manager runs nowhere; remove a taint or use kind: local-path`);
    } else if (known && replicas > eligible.length) {
        problems.push(
            `${key}.replicas = ${replicas}: only ${eligible.length} node(s) can hold a Longhorn replica (${eligible.join(", ")}${tainted.length > 0 ? `; tainted, no Longhorn manager: ${tainted.join(", ")}` : ""}) and each copy needs its own node; set replicas to ${eligible.length} or less, or add a node`,
        );
    }
    if (services.storageClass !== LONGHORN_STORAGE_CLASS) {
        warnings.push(`picluster:services.storageClass = "${services.storageClass}" while services.storage.kind is longhorn: volumes that name no class go on ${services.storageClass} and are not replicated; remove storageClass to use longhorn`);
    }
    if (replicas === 1) {
        warnings.push(`${key}.replicas = 1: each volume has one copy, on one node's disk; when that disk dies the volume is gone (as with local-path). Add nodes or restore from backups`);
    }
    if (input.existingCluster) {
        warnings.push(`picluster:services.storage.kind = "longhorn" on an existing cluster (cluster.kubeconfig): picluster cannot pre-flight its nodes; install open-iscsi (iscsiadm, iscsi_tcp module) and nfs-common on every node yourself`);
    }
    const undeclared = nodes.filter((n) => eligible.includes(n.name) && n.capacity?.disk === undefined).map((n) => n.name);
    if (undeclared.length > 0) {
        warnings.push(`picluster:cluster.nodes: ${undeclared.join(", ")} declare no capacity.disk; the disk check spreads Longhorn replicas by the assumed defaults (amd64 200Gi, arm64 20Gi); declare what each disk really has free`);
    }
    return { kind, storageClass: services.storageClass, replicatedClass: LONGHORN_STORAGE_CLASS, longhorn: { spec, replicas, replicaNodes: eligible } };
}

/**
 * The disk half of the capacity check. With local-path (the default) a
 * volume lives on the disk of the node its pod first lands on, and the
 * scheduler does not weigh disk: so the volumes of the replicas the capacity
 * plan puts on a node must fit that node's free space.
 *
 * A Longhorn volume is not where its pod is: it has `replicas` copies, each
 * on a different node that runs Longhorn, whatever the architecture. Like
 * Longhorn's replica scheduler, each copy goes to the eligible node (not
 * already holding a copy of that volume) with the most usable space left;
 * local volumes are placed first (they cannot move), then Longhorn volumes
 * largest first. A copy that fits nowhere still lands on the roomiest node,
 * so the problem line names that node and everything on it. Pure.
 */
import type { NodeSpec } from "../config/schema/cluster";
import type { Arch } from "../config/arch";
import { formatBytes, parseBytes } from "../config/quantity";
import type { CapacityPlan, WorkloadDemand } from "./capacity";

/**
 * Free space for volumes assumed when a node declares no `capacity.disk`:
 * the reference amd64 box's SSD, and a 32 GB SD card after the OS, k3s and
 * its images.
 */
export const DEFAULT_DISK: Record<Arch, string> = { amd64: "200Gi", arm64: "20Gi" };

export interface NodeDisk {
    node: string;
    capacityBytes: number;
    /** `workload (size)` of each volume placed on the node. */
    volumes: { replica: string; bytes: number }[];
    usedBytes: number;
}

/** How volumes of the replicated class are spread (storage.kind longhorn). */
export interface ReplicaModel {
    /** The platform's class, for volumes that name none. */
    defaultClass: string;
    /** The replicated class (`longhorn`). */
    replicatedClass: string;
    /** Copies per volume. */
    replicas: number;
    /** Nodes that can hold a copy. */
    nodes: string[];
}

/** Whether a demand's volume is of the replicated class. */
export function isReplicated(d: Pick<WorkloadDemand, "storageClass">, model?: ReplicaModel): model is ReplicaModel {
    return model !== undefined && (d.storageClass ?? model.defaultClass) === model.replicatedClass;
}

/** The volumes each node must hold: local ones where the capacity plan placed their pod, replicated ones spread as Longhorn would. */
export function diskPlan(demands: WorkloadDemand[], plan: CapacityPlan, nodes: Pick<NodeSpec, "name" | "arch" | "capacity">[], model?: ReplicaModel): NodeDisk[] {
    const local = new Map(demands.filter((d) => d.storage !== undefined && !isReplicated(d, model)).map((d) => [d.name, parseBytes(d.storage as string)]));
    const disks: NodeDisk[] = nodes.map((n) => {
        const placed = plan.nodes.find((p) => p.name === n.name)?.workloads ?? [];
        const volumes = placed.flatMap((replica) => {
            const bytes = local.get(replica.replace(/\[\d+\]$/, ""));
            return bytes === undefined ? [] : [{ replica, bytes }];
        });
        return {
            node: n.name,
            capacityBytes: parseBytes(n.capacity?.disk ?? DEFAULT_DISK[n.arch]),
            volumes,
            usedBytes: volumes.reduce((a, v) => a + v.bytes, 0),
        };
    });
    if (!model) return disks;
    // One volume per pod replica (a StatefulSet's or CloudNativePG's PVC per instance).
    const replicated = demands
        .filter((d) => d.storage !== undefined && isReplicated(d, model))
        .flatMap((d) => Array.from({ length: d.replicas }, (_, i) => ({ volume: d.replicas > 1 ? `${d.name}[${i}]` : d.name, bytes: parseBytes(d.storage as string) })))
        .sort((a, b) => b.bytes - a.bytes);
    const eligible = disks.filter((d) => model.nodes.includes(d.node));
    const free = (d: NodeDisk) => d.capacityBytes - d.usedBytes;
    const roomiest = (list: NodeDisk[]) => list.reduce((best, d) => (free(d) > free(best) ? d : best));
    const put = (d: NodeDisk, v: { volume: string; bytes: number }, copy: number) => {
        d.volumes.push({ replica: `${v.volume} (longhorn copy ${copy}/${model.replicas})`, bytes: v.bytes });
        d.usedBytes += v.bytes;
    };
    // First every copy that fits somewhere; copies that fit nowhere go last, so they do not push the others out.
    const homeless: { v: { volume: string; bytes: number }; copy: number; holders: Set<string> }[] = [];
    for (const v of replicated) {
        const holders = new Set<string>();
        for (let copy = 1; copy <= model.replicas; copy++) {
            const candidates = eligible.filter((d) => !holders.has(d.node));
            if (candidates.length === 0) break; // replicas > nodes is refused by the plan before this runs
            const fits = candidates.filter((d) => free(d) >= v.bytes);
            if (fits.length === 0) {
                homeless.push({ v, copy, holders });
                continue;
            }
            const pick = roomiest(fits);
            holders.add(pick.node);
            put(pick, v, copy);
        }
    }
    for (const { v, copy, holders } of homeless) {
        const pick = roomiest(eligible.filter((d) => !holders.has(d.node)));
        holders.add(pick.node);
        put(pick, v, copy);
    }
    return disks;
}

/** One line per node whose volumes do not fit: the node, its space and every volume on it. */
export function diskProblems(disks: NodeDisk[], model?: ReplicaModel): string[] {
    const longhorn = model ? `, lower services.storage.longhorn.replicas (now ${model.replicas}), keep a re-creatable volume on local-path (services.<name>.storage.storageClass)` : "";
    return disks
        .filter((d) => d.usedBytes > d.capacityBytes)
        .map(
            (d) =>
                `node ${d.node} must hold ${formatBytes(d.usedBytes)} of volumes but has ${formatBytes(d.capacityBytes)} for them: ${d.volumes.map((v) => `${v.replica} (${formatBytes(v.bytes)})`).join(", ")}; ` +
                `shrink a volume (services.<name>.storage.size, monitoring retentionSize), move a workload with its placement${longhorn}, or declare the real free space as cluster.nodes[].capacity.disk`,
        );
}

/** Thrown when the volumes do not fit the nodes' disks; nothing is registered. */
export class DiskCapacityError extends Error {
    constructor(readonly problems: string[]) {
        super(`picluster disk capacity check failed; nothing was changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "DiskCapacityError";
    }
}

/** Throws a DiskCapacityError when some node's volumes do not fit. */
export function checkDisk(demands: WorkloadDemand[], plan: CapacityPlan, nodes: Pick<NodeSpec, "name" | "arch" | "capacity">[], model?: ReplicaModel): NodeDisk[] {
    const disks = diskPlan(demands, plan, nodes, model);
    const problems = diskProblems(disks, model);
    if (problems.length > 0) throw new DiskCapacityError(problems);
    return disks;
}

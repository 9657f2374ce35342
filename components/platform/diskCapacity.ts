/**
 * The disk half of the capacity check. With local-path (the default) a
 * volume lives on the disk of the node its pod first lands on, and the
 * scheduler does not weigh disk: so the volumes of the replicas the capacity
 * plan puts on a node must fit that node's free space. Pure.
 */
import type { NodeSpec } from "../../stacks/schema/cluster";
import type { Arch } from "../k8s/arch";
import { formatBytes, parseBytes } from "../k8s/quantity";
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

/** The volumes each node must hold, from where the capacity plan placed each replica. */
export function diskPlan(demands: WorkloadDemand[], plan: CapacityPlan, nodes: Pick<NodeSpec, "name" | "arch" | "capacity">[]): NodeDisk[] {
    const sizes = new Map(demands.filter((d) => d.storage !== undefined).map((d) => [d.name, parseBytes(d.storage as string)]));
    return nodes.map((n) => {
        const placed = plan.nodes.find((p) => p.name === n.name)?.workloads ?? [];
        const volumes = placed.flatMap((replica) => {
            const bytes = sizes.get(replica.replace(/\[\d+\]$/, ""));
            return bytes === undefined ? [] : [{ replica, bytes }];
        });
        return {
            node: n.name,
            capacityBytes: parseBytes(n.capacity?.disk ?? DEFAULT_DISK[n.arch]),
            volumes,
            usedBytes: volumes.reduce((a, v) => a + v.bytes, 0),
        };
    });
}

/** One line per node whose volumes do not fit: the node, its space and every volume on it. */
export function diskProblems(disks: NodeDisk[]): string[] {
    return disks
        .filter((d) => d.usedBytes > d.capacityBytes)
        .map(
            (d) =>
                `node ${d.node} must hold ${formatBytes(d.usedBytes)} of volumes but has ${formatBytes(d.capacityBytes)} for them: ${d.volumes.map((v) => `${v.replica} (${formatBytes(v.bytes)})`).join(", ")}; ` +
                `shrink a volume (services.<name>.storage.size, monitoring retentionSize), move a workload with its placement, or declare the real free space as cluster.nodes[].capacity.disk`,
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
export function checkDisk(demands: WorkloadDemand[], plan: CapacityPlan, nodes: Pick<NodeSpec, "name" | "arch" | "capacity">[]): NodeDisk[] {
    const disks = diskPlan(demands, plan, nodes);
    const problems = diskProblems(disks);
    if (problems.length > 0) throw new DiskCapacityError(problems);
    return disks;
}

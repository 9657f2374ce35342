/**
 * Preview-time capacity check: do the requests of everything enabled fit the
 * declared nodes, per architecture? Pure (no Pulumi), so the Platform
 * component, the agents components and scripts/capacity-report.ts share it.
 *
 * The check works on requests (what the scheduler reserves), places each
 * replica largest-first on the matching node least used in proportion
 * (spreading replicas of one workload), and gives every DaemonSet-like
 * demand (`perNode`) one replica on each matching node.
 */
import type { NodeSpec, Taint } from "../config/schema/cluster";
import { ARCHES, type Arch } from "../config/arch";
import { formatBytes, formatCpu, parseBytes, parseCpu } from "../config/quantity";


/** What one workload asks of the cluster; other components (agents) contribute their own. */
export interface WorkloadDemand {
    /** Who asks, e.g. `ollama`, `monitoring/prometheus`, `agents/agent-host`. */
    name: string;
    /** CPU request per replica (`500m`, `2`, 1.5). */
    cpu: string | number;
    /** Memory request per replica (`512Mi`, `8Gi`). */
    memory: string;
    /** Replicas; ignored when `perNode`. */
    replicas: number;
    /** Size of the volume each replica keeps on its node's disk (`10Gi`), checked by diskCapacity.ts. */
    storage?: string;
    /** The volume's StorageClass when the service names one; undefined: the platform's. */
    storageClass?: string;
    /** Only nodes of this architecture; undefined means any. */
    arch?: Arch;
    /** Labels a node must carry (besides arch). `kubernetes.io/hostname` matches the node name. */
    nodeSelector?: Record<string, string>;
    /** A DaemonSet: one replica on every matching node. */
    perNode?: boolean;
    /** Needs a node declared with `gpu: true`. */
    gpu?: boolean;
    /** `nvidia.com/gpu` per replica (default 1 when `gpu`, else 0). */
    gpus?: number;
    /** Taints the pods tolerate; a node's NoSchedule/NoExecute taints keep everything else off it. */
    tolerations?: Toleration[];
    /** Memory limit per replica, checked against the largest matching node (plan/memoryLimits.ts), and the key that sets it. */
    limitMemory?: string;
    limitKey?: string;
}

/** A pod toleration, as Kubernetes spells it. */
export interface Toleration {
    key?: string;
    operator?: "Exists" | "Equal";
    value?: string;
    effect?: string;
}

/** Allocatable resources of one node, after defaults. */
export interface NodeCapacity {
    name: string;
    arch: Arch;
    cpu: number;
    memoryBytes: number;
    labels: Record<string, string>;
    gpu: boolean;
    /** Allocatable `nvidia.com/gpu`: physical GPUs × time-slicing replicas; 0 without a GPU. */
    gpus: number;
    taints: Taint[];
}

/**
 * Allocatable capacity assumed when a node declares none: the amd64 box of
 * the reference build (8 cores / 32 GiB) and a Raspberry Pi 5 8 GB (4 cores).
 * Declare `cluster.nodes[].capacity` for anything else.
 */
export const DEFAULT_CAPACITY: Record<Arch, { cpu: number; memory: string }> = {
    amd64: { cpu: 8, memory: "32Gi" },
    arm64: { cpu: 4, memory: "8Gi" },
};

/** The declared nodes with their capacity, defaults filled in per architecture. */
export function nodeCapacities(
    nodes: (Pick<NodeSpec, "name" | "arch" | "labels" | "gpu" | "capacity" | "taints"> & { gpus?: number })[],
    opts: { gpuSharing?: number } = {},
): NodeCapacity[] {
    return nodes.map((n) => {
        const cap = n.capacity ?? DEFAULT_CAPACITY[n.arch];
        return {
            name: n.name,
            arch: n.arch,
            cpu: cap.cpu,
            memoryBytes: parseBytes(cap.memory),
            labels: { ...n.labels, "kubernetes.io/arch": n.arch, "kubernetes.io/hostname": n.name },
            gpu: n.gpu,
            gpus: n.gpu ? (n.gpus ?? 1) * (opts.gpuSharing ?? 1) : 0,
            taints: n.taints ?? [],
        };
    });
}

export interface NodePlan extends NodeCapacity {
    cpuRequested: number;
    memoryRequested: number;
    gpuRequested: number;
    /** `name` or `name[i]` of every replica placed here. */
    workloads: string[];
}

export interface Unplaced {
    replica: string;
    arch: Arch | "any";
    cpu: number;
    memoryBytes: number;
    reason: string;
}

export interface ArchSummary {
    arch: Arch | "any";
    nodes: number;
    cpuCapacity: number;
    cpuRequested: number;
    memoryCapacity: number;
    memoryRequested: number;
    unplaced: number;
}

export interface CapacityPlan {
    fits: boolean;
    nodes: NodePlan[];
    unplaced: Unplaced[];
    byArch: ArchSummary[];
}

/** Whether a toleration admits a taint, by the scheduler's rules. */
export function tolerates(t: Toleration, taint: Taint): boolean {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.key === undefined) return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/** The taints that keep a pod with these tolerations off the node (PreferNoSchedule only discourages). */
/** Tolerations for every taint of the given nodes, so a pod pinned to them is admitted. */
export function tolerationsOf(nodes: Pick<NodeSpec, "taints">[]): Toleration[] {
    const seen = new Set<string>();
    return nodes
        .flatMap((n) => n.taints)
        .filter((t) => {
            const key = `${t.key}=${t.value ?? ""}:${t.effect}`;
            return !seen.has(key) && Boolean(seen.add(key));
        })
        .map((t) => ({ key: t.key, operator: t.value === undefined ? "Exists" : "Equal", ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
}

export function untoleratedTaints(node: Pick<NodeCapacity, "taints">, tolerations: Toleration[] = []): Taint[] {
    return node.taints.filter((taint) => taint.effect !== "PreferNoSchedule" && !tolerations.some((t) => tolerates(t, taint)));
}

/** Whether a demand's pods may run on the node (arch, gpu, taints, node selector). */
export function matches(node: NodeCapacity, d: WorkloadDemand): boolean {
    if (d.arch && node.arch !== d.arch) return false;
    if (d.gpu && !node.gpu) return false;
    if (untoleratedTaints(node, d.tolerations).length > 0) return false;
    return Object.entries(d.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);
}

const formatTaint = (t: Taint) => `${t.key}${t.value !== undefined ? `=${t.value}` : ""}:${t.effect}`;

function describeTarget(d: WorkloadDemand, nodes: NodeCapacity[]): string {
    const parts = [d.arch ? `arch ${d.arch}` : undefined, d.gpu ? "gpu: true" : undefined, ...Object.entries(d.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`)];
    const target = parts.filter(Boolean).join(", ") || "any node";
    // Name the taints when they are what keeps the selected nodes out.
    const selected = nodes.filter((n) => matches({ ...n, taints: [] }, d));
    const tainted = selected.flatMap((n) => untoleratedTaints(n, d.tolerations).map((t) => `${n.name} has taint ${formatTaint(t)}`));
    return selected.length > 0 && tainted.length > 0 ? `${target}; ${tainted.join(", ")} and the workload does not tolerate it` : target;
}

/** Places every demand on the nodes; never throws for lack of room (see `fits`). */
export function planCapacity(demands: WorkloadDemand[], nodes: NodeCapacity[]): CapacityPlan {
    const plans: NodePlan[] = nodes.map((n) => ({ ...n, cpuRequested: 0, memoryRequested: 0, gpuRequested: 0, workloads: [] }));
    const unplaced: Unplaced[] = [];
    const free = (p: NodePlan) => ({ cpu: p.cpu - p.cpuRequested, mem: p.memoryBytes - p.memoryRequested, gpus: p.gpus - p.gpuRequested });
    const gpusOf = (d: WorkloadDemand) => d.gpus ?? (d.gpu ? 1 : 0);

    type Replica = { label: string; demand: WorkloadDemand; cpu: number; mem: number };
    const replicas: Replica[] = [];
    for (const d of demands) {
        const cpu = parseCpu(d.cpu);
        const mem = parseBytes(d.memory);
        const targets = plans.filter((p) => matches(p, d));
        if (d.perNode) {
            if (targets.length === 0) {
                unplaced.push({ replica: d.name, arch: d.arch ?? "any", cpu, memoryBytes: mem, reason: `no declared node matches (${describeTarget(d, plans)})` });
            }
            // DaemonSet pods are placed before anything else: the scheduler gives them every node.
            for (const p of targets) {
                p.cpuRequested += cpu;
                p.memoryRequested += mem;
                p.workloads.push(d.name);
            }
            continue;
        }
        for (let i = 0; i < d.replicas; i++) replicas.push({ label: d.replicas > 1 ? `${d.name}[${i}]` : d.name, demand: d, cpu, mem });
    }

    const unplace = (r: Replica, reason: string) => unplaced.push({ replica: r.label, arch: r.demand.arch ?? "any", cpu: r.cpu, memoryBytes: r.mem, reason });
    // Largest first: big workloads (Ollama) must get their node before small ones fragment it.
    replicas.sort((a, b) => b.mem - a.mem || b.cpu - a.cpu || a.label.localeCompare(b.label));
    for (const r of replicas) {
        const candidates = plans.filter((p) => matches(p, r.demand));
        if (candidates.length === 0) {
            unplace(r, `no declared node matches (${describeTarget(r.demand, plans)})`);
            continue;
        }
        const gpus = gpusOf(r.demand);
        const withGpus = candidates.filter((p) => free(p).gpus >= gpus);
        if (withGpus.length === 0) {
            const most = candidates.reduce((a, b) => (free(b).gpus > free(a).gpus ? b : a));
            unplace(r, `needs ${gpus} nvidia.com/gpu; most free matching node ${most.name} has ${Math.max(0, free(most).gpus)} of ${most.gpus} (GPUs declared × gpuSharing)`);
            continue;
        }
        const fitting = withGpus.filter((p) => free(p).cpu >= r.cpu - 1e-9 && free(p).mem >= r.mem);
        if (fitting.length === 0) {
            const best = candidates.reduce((a, b) => (free(b).mem > free(a).mem ? b : a));
            unplace(r, `needs ${formatCpu(r.cpu)} cpu / ${formatBytes(r.mem)}; most free matching node ${best.name} has ${formatCpu(Math.max(0, free(best).cpu))} cpu / ${formatBytes(Math.max(0, free(best).mem))}`);
            continue;
        }
        // Spread replicas of one workload; then, like the scheduler's LeastAllocated score,
        // prefer the node whose memory and cpu are the least used in proportion.
        const hosts = (p: NodePlan) => p.workloads.some((w) => w === r.demand.name || w.startsWith(`${r.demand.name}[`));
        const used = (p: NodePlan) => (p.memoryRequested + r.mem) / p.memoryBytes + (p.cpuRequested + r.cpu) / p.cpu;
        fitting.sort((a, b) => Number(hosts(a)) - Number(hosts(b)) || used(a) - used(b) || a.name.localeCompare(b.name));
        const node = fitting[0];
        node.cpuRequested += r.cpu;
        node.memoryRequested += r.mem;
        node.gpuRequested += gpus;
        node.workloads.push(r.label);
    }

    const archs: (Arch | "any")[] = [...ARCHES];
    const byArch: ArchSummary[] = archs.map((arch) => {
        const ns = plans.filter((p) => p.arch === arch);
        const lost = unplaced.filter((u) => u.arch === arch);
        return {
            arch,
            nodes: ns.length,
            cpuCapacity: ns.reduce((s, p) => s + p.cpu, 0),
            cpuRequested: ns.reduce((s, p) => s + p.cpuRequested, 0) + lost.reduce((s, u) => s + u.cpu, 0),
            memoryCapacity: ns.reduce((s, p) => s + p.memoryBytes, 0),
            memoryRequested: ns.reduce((s, p) => s + p.memoryRequested, 0) + lost.reduce((s, u) => s + u.memoryBytes, 0),
            unplaced: lost.length,
        };
    });
    const anyLost = unplaced.filter((u) => u.arch === "any");
    if (anyLost.length > 0) {
        byArch.push({
            arch: "any",
            nodes: plans.length,
            cpuCapacity: 0,
            cpuRequested: anyLost.reduce((s, u) => s + u.cpu, 0),
            memoryCapacity: 0,
            memoryRequested: anyLost.reduce((s, u) => s + u.memoryBytes, 0),
            unplaced: anyLost.length,
        });
    }
    return { fits: unplaced.length === 0, nodes: plans, unplaced, byArch };
}

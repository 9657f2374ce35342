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
import type { NodeSpec } from "../../stacks/schema/cluster";

export type Arch = "amd64" | "arm64";

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
    /** Only nodes of this architecture; undefined means any. */
    arch?: Arch;
    /** Labels a node must carry (besides arch). `kubernetes.io/hostname` matches the node name. */
    nodeSelector?: Record<string, string>;
    /** A DaemonSet: one replica on every matching node. */
    perNode?: boolean;
    /** Needs a node declared with `gpu: true`. */
    gpu?: boolean;
}

/** Allocatable resources of one node, after defaults. */
export interface NodeCapacity {
    name: string;
    arch: Arch;
    cpu: number;
    memoryBytes: number;
    labels: Record<string, string>;
    gpu: boolean;
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

const BYTE_UNITS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** Parses a CPU quantity (`500m`, `2`, `1.5`, 2) into cores. */
export function parseCpu(q: string | number): number {
    if (typeof q === "number") return q;
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a CPU quantity such as 500m or 2`);
    return m[2] === "m" ? Number(m[1]) / 1000 : Number(m[1]);
}

/** Parses a memory quantity (`512Mi`, `8Gi`, `1G`, `1024`) into bytes. */
export function parseBytes(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a memory quantity such as 512Mi or 8Gi`);
    return Number(m[1]) * BYTE_UNITS[m[2] ?? ""];
}

export function formatCpu(cores: number): string {
    return Number.isInteger(cores) ? String(cores) : cores < 1 ? `${Math.round(cores * 1000)}m` : cores.toFixed(2).replace(/0$/, "");
}

export function formatBytes(bytes: number): string {
    const gi = bytes / 2 ** 30;
    if (gi >= 1) return `${Number.isInteger(gi) ? gi : gi.toFixed(1)}Gi`;
    return `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** The declared nodes with their capacity, defaults filled in per architecture. */
export function nodeCapacities(nodes: Pick<NodeSpec, "name" | "arch" | "labels" | "gpu" | "capacity">[]): NodeCapacity[] {
    return nodes.map((n) => {
        const cap = n.capacity ?? DEFAULT_CAPACITY[n.arch];
        return {
            name: n.name,
            arch: n.arch,
            cpu: cap.cpu,
            memoryBytes: parseBytes(cap.memory),
            labels: { ...n.labels, "kubernetes.io/arch": n.arch, "kubernetes.io/hostname": n.name },
            gpu: n.gpu,
        };
    });
}

export interface NodePlan extends NodeCapacity {
    cpuRequested: number;
    memoryRequested: number;
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

/** Whether a demand's pods may run on the node (arch, gpu, node selector). */
export function matches(node: NodeCapacity, d: WorkloadDemand): boolean {
    if (d.arch && node.arch !== d.arch) return false;
    if (d.gpu && !node.gpu) return false;
    return Object.entries(d.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);
}

function describeTarget(d: WorkloadDemand): string {
    const parts = [d.arch ? `arch ${d.arch}` : undefined, d.gpu ? "gpu: true" : undefined, ...Object.entries(d.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`)];
    return parts.filter(Boolean).join(", ") || "any node";
}

/** Places every demand on the nodes; never throws for lack of room (see `fits`). */
export function planCapacity(demands: WorkloadDemand[], nodes: NodeCapacity[]): CapacityPlan {
    const plans: NodePlan[] = nodes.map((n) => ({ ...n, cpuRequested: 0, memoryRequested: 0, workloads: [] }));
    const unplaced: Unplaced[] = [];
    const free = (p: NodePlan) => ({ cpu: p.cpu - p.cpuRequested, mem: p.memoryBytes - p.memoryRequested });

    type Replica = { label: string; demand: WorkloadDemand; cpu: number; mem: number };
    const replicas: Replica[] = [];
    for (const d of demands) {
        const cpu = parseCpu(d.cpu);
        const mem = parseBytes(d.memory);
        const targets = plans.filter((p) => matches(p, d));
        if (d.perNode) {
            if (targets.length === 0) {
                unplaced.push({ replica: d.name, arch: d.arch ?? "any", cpu, memoryBytes: mem, reason: `no declared node matches (${describeTarget(d)})` });
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

    // Largest first: big workloads (Ollama) must get their node before small ones fragment it.
    replicas.sort((a, b) => b.mem - a.mem || b.cpu - a.cpu || a.label.localeCompare(b.label));
    for (const r of replicas) {
        const candidates = plans.filter((p) => matches(p, r.demand));
        if (candidates.length === 0) {
            unplaced.push({ replica: r.label, arch: r.demand.arch ?? "any", cpu: r.cpu, memoryBytes: r.mem, reason: `no declared node matches (${describeTarget(r.demand)})` });
            continue;
        }
        const fitting = candidates.filter((p) => free(p).cpu >= r.cpu - 1e-9 && free(p).mem >= r.mem);
        if (fitting.length === 0) {
            const best = candidates.reduce((a, b) => (free(b).mem > free(a).mem ? b : a));
            unplaced.push({
                replica: r.label,
                arch: r.demand.arch ?? "any",
                cpu: r.cpu,
                memoryBytes: r.mem,
                reason: `needs ${formatCpu(r.cpu)} cpu / ${formatBytes(r.mem)}; most free matching node ${best.name} has ${formatCpu(Math.max(0, free(best).cpu))} cpu / ${formatBytes(Math.max(0, free(best).mem))}`,
            });
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
        node.workloads.push(r.label);
    }

    const archs: (Arch | "any")[] = ["amd64", "arm64"];
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

function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The per-architecture totals and what does not fit, as text. */
export function formatArchSummary(plan: CapacityPlan): string {
    const rows = plan.byArch.map((a) => [
        a.arch,
        String(a.nodes),
        `${formatCpu(a.cpuRequested)} / ${formatCpu(a.cpuCapacity)}`,
        `${formatBytes(a.memoryRequested)} / ${formatBytes(a.memoryCapacity)}`,
        a.unplaced === 0 ? "ok" : `${a.unplaced} replica(s) do not fit`,
    ]);
    let out = table(["arch", "nodes", "cpu requested / allocatable", "memory requested / allocatable", "status"], rows);
    if (plan.unplaced.length > 0) {
        out +=
            "\n\nDoes not fit:\n" +
            table(
                ["workload", "arch", "cpu", "memory", "why"],
                plan.unplaced.map((u) => [u.replica, u.arch, formatCpu(u.cpu), formatBytes(u.memoryBytes), u.reason]),
            );
    }
    return out;
}

/** The per-node placement, as text (used by scripts/capacity-report.ts). */
export function formatNodePlan(plan: CapacityPlan): string {
    const rows = plan.nodes.map((n) => [
        n.name,
        n.arch + (n.gpu ? " (gpu)" : ""),
        `${formatCpu(n.cpuRequested)} / ${formatCpu(n.cpu)}`,
        `${formatBytes(n.memoryRequested)} / ${formatBytes(n.memoryBytes)}`,
        n.workloads.join(", ") || "-",
    ]);
    return table(["node", "arch", "cpu", "memory", "workloads"], rows) + "\n\n" + formatArchSummary(plan);
}

/** Thrown at preview when the enabled workloads cannot fit the declared nodes. */
export class CapacityError extends Error {
    constructor(readonly plan: CapacityPlan) {
        super(
            `picluster capacity check failed: ${plan.unplaced.length} replica(s) do not fit the declared nodes; nothing was changed.\n` +
                `Disable a service, lower its resources.requests, or declare more nodes (or their real cluster.nodes[].capacity).\n\n` +
                formatArchSummary(plan),
        );
        this.name = "CapacityError";
    }
}

/** Plans and throws a CapacityError with the table when something does not fit. */
export function checkCapacity(demands: WorkloadDemand[], nodes: NodeCapacity[]): CapacityPlan {
    const plan = planCapacity(demands, nodes);
    if (!plan.fits) throw new CapacityError(plan);
    return plan;
}

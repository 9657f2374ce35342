import { formatBytes, formatCpu } from "../config/quantity";
import { planCapacity, type CapacityPlan, type NodeCapacity, type WorkloadDemand } from "./capacity";

/* The capacity plan as text: the CapacityError's table and scripts/capacity-report.ts. */

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
        n.arch + (n.gpu ? ` (gpu) ${n.gpuRequested}/${n.gpus} nvidia.com/gpu` : ""),
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

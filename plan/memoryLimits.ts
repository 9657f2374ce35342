import type { WorkerAgentsSpec } from "../config/schema/agents";
import { formatBytes, parseBytes } from "../config/quantity";
import { matches, type NodeCapacity, type WorkloadDemand } from "./capacity";

/*
 * Memory limits against the nodes: the capacity check places requests,
 * this refuses a limit no node the workload may run on could honour. A
 * limit is what the container may grow to before the kernel kills it; one
 * as large as its node lets it starve k3s and every pod beside it first.
 */

/**
 * The share of a node's declared memory a pod's limit may reach: the rest
 * is what the firmware, the kernel, k3s and the kubelet's eviction
 * threshold hold before any pod (an 8 GB Pi 5 reports about 7.8 GiB, k3s's
 * agent uses 0.3 to 0.5 GiB, eviction starts at 100 MiB free). An 8Gi Pi
 * leaves 7.2Gi; the 32Gi box 28.8Gi.
 */
export const POD_MEMORY_SHARE = 0.9;

/** A memory limit to check: the demand's placement, the limit per pod and the key that sets it. */
export type LimitDemand = Pick<WorkloadDemand, "name" | "arch" | "nodeSelector" | "tolerations" | "gpu"> & { limitMemory: string; limitKey: string };

/** The worker templates' limits: a Job runs one pod, wherever its arch lets it. */
export function workerTemplateLimits(spec: WorkerAgentsSpec): LimitDemand[] {
    if (!spec.enabled) return [];
    return spec.templates.map((t, i) => ({
        name: `worker-agents/${t.name}`,
        arch: t.arch,
        limitMemory: t.resources.limits.memory,
        limitKey: `workerAgents.templates[${i}].resources.limits.memory`,
    }));
}

/**
 * One problem per workload whose memory limit is above POD_MEMORY_SHARE of
 * the largest node it may run on, naming the key, the value, that node and
 * the fix. Workloads no node matches are left to the capacity check, which
 * names why.
 */
export function memoryLimitProblems(demands: (WorkloadDemand | LimitDemand)[], nodes: NodeCapacity[]): string[] {
    const problems: string[] = [];
    for (const d of demands) {
        if (d.limitMemory === undefined || d.limitKey === undefined) continue;
        const candidates = nodes.filter((n) => matches(n, { replicas: 1, cpu: 0, memory: "0", ...d }));
        if (candidates.length === 0) continue;
        const largest = candidates.reduce((a, b) => (b.memoryBytes > a.memoryBytes ? b : a));
        const room = Math.floor(largest.memoryBytes * POD_MEMORY_SHARE);
        const limit = parseBytes(d.limitMemory);
        if (limit <= room) continue;
        problems.push(
            `picluster:${d.limitKey} = "${d.limitMemory}": ${d.name} may run on nodes of at most ${formatBytes(largest.memoryBytes)} (${largest.name}), ` +
                `and a pod's limit may reach ${Math.round(POD_MEMORY_SHARE * 100)} % of that (${formatBytes(room)}: the rest is the kernel's, k3s's and the kubelet's); ` +
                `lower it to at most ${Math.floor(room / 2 ** 20)}Mi, or place the workload on a bigger node (or declare the node's real cluster.nodes[].capacity.memory)`,
        );
    }
    return problems;
}

import type { AgentHostSpec } from "../../stacks/schema/agents";

/**
 * What one workload asks of the scheduler, for the preview-time capacity
 * check. Structurally compatible with `WorkloadDemand` in
 * components/platform/capacity.ts (to be unified by the lead).
 */
export interface WorkloadDemand {
    name: string;
    namespace: string;
    arch?: "amd64" | "arm64";
    /** CPU request per replica (`500m`). */
    cpu: string;
    /** Memory request per replica (`1Gi`). */
    memory: string;
    replicas: number;
}

/** The namespace the agent-host pool lives in (upstream's). */
export const AGENT_HOST_NAMESPACE = "rustic-ai";

/**
 * The pool's guaranteed demand: agent hosts at `minReplicas` (what the HPA
 * never goes below) plus the single Redis. Empty when the pool is disabled.
 */
export function agentHostDemand(spec: AgentHostSpec): WorkloadDemand[] {
    if (!spec.enabled) return [];
    const arch = spec.arch === undefined ? {} : { arch: spec.arch };
    return [
        {
            name: "agent-host",
            namespace: AGENT_HOST_NAMESPACE,
            ...arch,
            cpu: spec.resources.requests.cpu,
            memory: spec.resources.requests.memory,
            replicas: spec.minReplicas,
        },
        {
            name: "redis",
            namespace: AGENT_HOST_NAMESPACE,
            ...arch,
            cpu: spec.redis.resources.requests.cpu,
            memory: spec.redis.resources.requests.memory,
            replicas: 1,
        },
    ];
}

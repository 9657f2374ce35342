import type { AgentHostSpec } from "../config/schema/agents";
import type { WorkloadDemand } from "./capacity";

export type { WorkloadDemand };

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
            name: `${AGENT_HOST_NAMESPACE}/agent-host`,
            ...arch,
            cpu: spec.resources.requests.cpu,
            memory: spec.resources.requests.memory,
            limitMemory: spec.resources.limits.memory,
            limitKey: "agentHost.resources.limits.memory",
            replicas: spec.minReplicas,
        },
        {
            name: `${AGENT_HOST_NAMESPACE}/redis`,
            ...arch,
            cpu: spec.redis.resources.requests.cpu,
            memory: spec.redis.resources.requests.memory,
            limitMemory: spec.redis.resources.limits.memory,
            limitKey: "agentHost.redis.resources.limits.memory",
            replicas: 1,
        },
    ];
}

import { z } from "zod";
import { ARCHES } from "../arch";
import { BYTE_QUANTITY, CPU_QUANTITY, parseBytes, parseCpu } from "../quantity";
import { byteQuantity, cpuQuantity, dnsLabel, pinnedImage } from "./common";

/*
 * Config for the Rustic AI agent-host pool (`picluster:agentHost`) and the
 * worker-agent Job templates (`picluster:workerAgents`). Defaults keep
 * upstream's numbers (rustic-ai/rustic-ai k8s/manifests) so that a stack
 * which only sets `enabled` and `image` behaves like upstream, minus its gaps.
 */

const arch = z.enum(ARCHES, { error: "must be 'amd64' or 'arm64' (or leave unset to run on any node)" });

/** requests and limits both required, cpu and memory both required: every container we define has all four. */
const fullResources = z.strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: byteQuantity }),
    limits: z.strictObject({ cpu: cpuQuantity, memory: byteQuantity }),
});

/** Bytes in a Kubernetes memory quantity, NaN when it is not one (the field's own check reports that). */
const quantityBytes = (q: string): number => (BYTE_QUANTITY.test(q) ? parseBytes(q) : NaN);
/** Millicores in a Kubernetes CPU quantity. */
const cpuMillis = (q: string): number => (CPU_QUANTITY.test(q) ? parseCpu(q) * 1000 : NaN);

/** Bytes in a redis.conf memory value; redis reads `1k` as 1000 and `1kb` as 1024. */
export function redisBytes(v: string): number {
    const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(v);
    if (!m) return NaN;
    const unit = (m[2] ?? "b").toLowerCase();
    const factor: Record<string, number> = { b: 1, k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };
    return Number(m[1]) * factor[unit];
}

function checkRequestsWithinLimits(r: z.output<typeof fullResources>, ctx: z.RefinementCtx, path: PropertyKey[]): void {
    if (cpuMillis(r.requests.cpu) > cpuMillis(r.limits.cpu)) {
        ctx.addIssue({ code: "custom", path: [...path, "requests", "cpu"], message: `exceeds limits.cpu (${r.limits.cpu}); lower the request or raise the limit` });
    }
    if (quantityBytes(r.requests.memory) > quantityBytes(r.limits.memory)) {
        ctx.addIssue({ code: "custom", path: [...path, "requests", "memory"], message: `exceeds limits.memory (${r.limits.memory}); lower the request or raise the limit` });
    }
}

const scalingPolicy = z.strictObject({
    type: z.enum(["Percent", "Pods"], { error: "must be 'Percent' or 'Pods'" }),
    value: z.number().int().min(1),
    periodSeconds: z.number().int().min(1).max(1800, "must be at most 1800 (the HPA API limit)"),
});

const scalingRules = z.strictObject({
    stabilizationWindowSeconds: z.number().int().min(0).max(3600, "must be at most 3600 (the HPA API limit)"),
    selectPolicy: z.enum(["Min", "Max", "Disabled"], { error: "must be 'Min', 'Max' or 'Disabled'" }),
    policies: z.array(scalingPolicy).min(1, "needs at least one policy"),
});

/** Upstream hpa.yaml: scale down slowly (5 min window; the smaller of 50 % or 2 pods per minute). */
export const UPSTREAM_SCALE_DOWN: z.output<typeof scalingRules> = {
    stabilizationWindowSeconds: 300,
    selectPolicy: "Min",
    policies: [
        { type: "Percent", value: 50, periodSeconds: 60 },
        { type: "Pods", value: 2, periodSeconds: 60 },
    ],
};

/** Upstream hpa.yaml: scale up at once (no window; the larger of 100 % or 4 pods per minute). */
export const UPSTREAM_SCALE_UP: z.output<typeof scalingRules> = {
    stabilizationWindowSeconds: 0,
    selectPolicy: "Max",
    policies: [
        { type: "Percent", value: 100, periodSeconds: 60 },
        { type: "Pods", value: 4, periodSeconds: 60 },
    ],
};

const utilization = z.number().int().min(1).max(100, "is a percentage of the request: 1..100");

export const hpaSchema = z.strictObject({
    cpuUtilization: utilization.default(70),
    memoryUtilization: utilization.default(75),
    scaleDown: scalingRules.default(UPSTREAM_SCALE_DOWN),
    scaleUp: scalingRules.default(UPSTREAM_SCALE_UP),
});

/**
 * Eviction policies Redis may use. The location registry writes
 * `agent_location:*` with a 60 s TTL and `host_agents:*` sets without one.
 * `allkeys-*` may evict a live agent's location or a host's agent set, so it
 * is refused. `volatile-*` only evicts keys with a TTL — which are exactly the
 * location keys — so `noeviction` (writes fail loudly when full, TTLs free
 * memory on their own) is the default; `volatile-lru` remains selectable for
 * those who prefer degraded routing to failed registrations.
 */
export const redisEvictionPolicies = ["noeviction", "volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random"] as const;

export const redisSchema = z
    .strictObject({
        image: pinnedImage.default("redis:7.4.9-alpine"),
        /** redis.conf `maxmemory` (redis units: 256mb, 1gb). */
        maxmemory: z
            .string()
            .regex(/^\d+(b|k|kb|m|mb|g|gb)?$/i, "must be a redis memory size such as 256mb or 1gb")
            .default("256mb"),
        maxmemoryPolicy: z
            .enum(redisEvictionPolicies, {
                error: `must be one of ${redisEvictionPolicies.join(", ")}; allkeys-* policies are refused because they can evict the agent location registry`,
            })
            .default("noeviction"),
        resources: fullResources.default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } }),
    })
    .superRefine((r, ctx) => {
        checkRequestsWithinLimits(r.resources, ctx, ["resources"]);
        // Redis needs headroom above maxmemory (buffers, fragmentation); an
        // OOM kill loses every location, so refuse a limit it would hit.
        if (redisBytes(r.maxmemory) > quantityBytes(r.resources.limits.memory) * 0.8) {
            ctx.addIssue({
                code: "custom",
                path: ["maxmemory"],
                message: `leaves too little headroom under resources.limits.memory (${r.resources.limits.memory}); keep maxmemory at most 80 % of the limit`,
            });
        }
    });

export const agentHostSchema = z
    .strictObject({
        enabled: z.boolean().default(false),
        /** The agent-host image built from rustic-ai's k8s/Dockerfile; upstream publishes none, so there is no default. */
        image: pinnedImage.optional(),
        minReplicas: z.number().int().min(1).default(3),
        maxReplicas: z.number().int().min(1).default(20),
        /** MAX_PROCESSES: agent processes per pod. */
        maxProcesses: z.number().int().min(1).default(100),
        /** HEARTBEAT_INTERVAL in seconds; must stay well under the registry's 60 s location TTL. */
        heartbeatInterval: z.number().int().min(1).max(30, "must be at most 30 s: agent locations expire after 60 s without a heartbeat").default(20),
        resources: fullResources.default({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "4000m", memory: "8Gi" } }),
        hpa: hpaSchema.prefault({}),
        redis: redisSchema.prefault({}),
        /** Namespaces whose pods may call the gRPC port (pods of the pool itself always may). */
        allowedNamespaces: z.array(dnsLabel).default([]),
        /**
         * CIDRs of the Kubernetes API server (e.g. the control plane's address/32).
         * Empty: the pods get no API token and no API egress — the agent-host
         * server never calls the API; set it if your agents do.
         */
        apiServerCidrs: z.array(z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR such as 192.168.1.10/32")).default([]),
        /** Let agent hosts reach the in-cluster Ollama service (ai-services:11434). */
        ollamaAccess: z.boolean().default(true),
        /** Run the pool (and its Redis) only on nodes of this architecture. */
        arch: arch.optional(),
        /** false only for images that write outside /tmp. */
        readOnlyRootFilesystem: z.boolean().default(true),
    })
    .superRefine((a, ctx) => {
        if (a.minReplicas > a.maxReplicas) {
            ctx.addIssue({
                code: "custom",
                path: ["maxReplicas"],
                message: `is below minReplicas (${a.minReplicas}); maxReplicas must be >= minReplicas: raise maxReplicas or lower minReplicas`,
            });
        }
        if (a.enabled && a.image === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["image"],
                message: "is required when agentHost.enabled is true: build rustic-ai's k8s/Dockerfile and pin the tag, e.g. registry.lan/rustic-ai/agent-host:0.1.0",
            });
        }
        checkRequestsWithinLimits(a.resources, ctx, ["resources"]);
    })
    .prefault({});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");

export const jobTemplateSchema = z
    .strictObject({
        /** The Job name (the orchestrator appends a unique suffix per run); short enough to leave room for it. */
        name: dnsLabel.max(40, "must be at most 40 characters, leaving room for the per-run suffix"),
        image: pinnedImage,
        command: z.array(z.string()).optional(),
        args: z.array(z.string()).optional(),
        env: z.record(envName, z.string()).default({}),
        resources: fullResources,
        backoffLimit: z.number().int().min(0).max(2, "must be 0, 1 or 2: a failing agent retried more often only burns the quota").default(0),
        activeDeadlineSeconds: z.number().int().min(1).default(1800),
        ttlSecondsAfterFinished: z.number().int().min(0).default(3600),
        /** Give the Job network access to Ollama and set OLLAMA_HOST. */
        ollama: z.boolean().default(false),
        arch: arch.optional(),
        runAsUser: z.number().int().min(1, "must be a non-root uid (>= 1)").default(65532),
        readOnlyRootFilesystem: z.boolean().default(true),
    })
    .superRefine((t, ctx) => checkRequestsWithinLimits(t.resources, ctx, ["resources"]));

const quotaSchema = z.strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: byteQuantity }).default({ cpu: "4", memory: "8Gi" }),
    limits: z.strictObject({ cpu: cpuQuantity, memory: byteQuantity }).default({ cpu: "8", memory: "16Gi" }),
    pods: z.number().int().min(1).default(10),
    jobs: z.number().int().min(1).default(20),
    /** LimitRange defaults for containers that declare no resources. */
    containerDefaults: fullResources.default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } }),
});

export const workerAgentsSchema = z
    .strictObject({
        enabled: z.boolean().default(false),
        namespace: dnsLabel.default("worker-agents"),
        /** Issue the orchestrator a kubeconfig scoped to the namespace (a long-lived token), as a secret stack output. */
        issueOrchestratorKubeconfig: z.boolean().default(true),
        quota: quotaSchema.prefault({}),
        templates: z.array(jobTemplateSchema).default([]),
    })
    .superRefine((w, ctx) => {
        const seen = new Map<string, number>();
        w.templates.forEach((t, i) => {
            const prev = seen.get(t.name);
            if (prev !== undefined) {
                ctx.addIssue({ code: "custom", path: ["templates", i, "name"], message: `duplicates templates[${prev}].name '${t.name}'; template names must be unique` });
            } else seen.set(t.name, i);
        });
    })
    .prefault({});

export type AgentHostSpec = z.output<typeof agentHostSchema>;
export type WorkerAgentsSpec = z.output<typeof workerAgentsSchema>;
export type JobTemplateSpec = z.output<typeof jobTemplateSchema>;
export type HpaSpec = z.output<typeof hpaSchema>;
export type RedisSpec = z.output<typeof redisSchema>;

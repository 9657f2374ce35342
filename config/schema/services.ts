import { z } from "zod";
import { ARCH_HINT, ARCHES } from "../arch";
import { byteQuantity, cpuQuantity, dnsLabel, ingressHost, labels, pinnedVersion, storageClassName } from "./common";
import { devicePluginSchema } from "./gpu";
import { LONGHORN_STORAGE_CLASS, storageSchema } from "./storage";

/** The architectures a workload can be pinned to. */
export const archSchema = z.enum(ARCHES, { error: ARCH_HINT });
export type Arch = z.output<typeof archSchema>;

/** A chart repository: an https:// index or an oci:// registry path. */
export const chartRepo = z.string().regex(/^(https:\/\/|oci:\/\/)\S+$/, "must be an https:// chart repository or an oci:// registry path");

/** Requests and limits; both default per service so the capacity check always has numbers. */
const resourcePair = z.strictObject({ cpu: cpuQuantity, memory: byteQuantity });
export const serviceResources = (requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }) =>
    z
        .strictObject({
            requests: resourcePair.partial().optional(),
            limits: resourcePair.partial().optional(),
        })
        .default({})
        .transform((r) => ({ requests: { ...requests, ...r.requests }, limits: { ...limits, ...r.limits } }));
export type ServiceResources = { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };

/** Where a workload may run: an architecture and/or extra node labels. */
export const placementSchema = z
    .strictObject({
        arch: archSchema.optional(),
        nodeSelector: labels.default({}),
    })
    .default({ nodeSelector: {} });
export type Placement = z.output<typeof placementSchema>;

/** Per-stack Helm values deep-merged over the component's defaults (plain values only: secrets go through secretValues). */
const helmValues = z.record(z.string(), z.unknown()).default({});

/** The name of a secret config key under `picluster:` (never its value). */
const secretKeyName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. alertWebhookUrl");

/** Helm value path (`auth.password`) → name of a secret config key under `picluster:`. */
const secretValues = z
    .record(
        z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "must be a dotted Helm value path such as auth.password"),
        z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. rabbitmqPassword"),
    )
    .default({});

const storage = (size: string) =>
    z
        .strictObject({ size: byteQuantity.default(size), storageClass: storageClassName.optional() })
        .default({ size });

/** Fields every Helm-backed service shares. */
const helmFields = (d: { version: string; repo: string; timeoutSeconds?: number }) => ({
    enabled: z.boolean().default(true),
    /** Exact chart version; ranges are refused so a re-run never upgrades behind the user's back. */
    version: pinnedVersion.default(d.version),
    repo: chartRepo.default(d.repo),
    values: helmValues,
    timeoutSeconds: z.number().int().min(60).max(3600).default(d.timeoutSeconds ?? 600),
});

export const ollamaSchema = z
    .strictObject({
        // renovate: datasource=helm depName=ollama registryUrl=https://helm.otwld.com/
        ...helmFields({ version: "1.77.0", repo: "https://helm.otwld.com/", timeoutSeconds: 1800 }),
        /** Models pulled when the pod starts (llama3:8b ≈ 4.7 GB). */
        models: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*(:[A-Za-z0-9._-]+)?$/, "must be an Ollama model such as llama3:8b")).default(["llama3:8b"]),
        /** Run on the amd64 node marked `gpu: true` with the NVIDIA runtime class and a GPU limit. */
        gpu: z.boolean().default(false),
        gpuCount: z.number().int().min(1).default(1),
        runtimeClassName: dnsLabel.default("nvidia"),
        /** Seconds before probes start; the model pull runs in a postStart hook and must finish first. */
        probeDelaySeconds: z.number().int().min(0).default(600),
        storage: storage("30Gi"),
        /** Defaults to amd64: an 8B model on a Pi's CPU is too slow to serve agents. */
        placement: placementSchema.unwrap().default({ arch: "amd64", nodeSelector: {} }),
        resources: serviceResources({ cpu: "2", memory: "8Gi" }, { cpu: "6", memory: "16Gi" }),
        /**
         * An Ollama outside the cluster, for its consumers (agent host, worker
         * templates, notebooks) while `enabled` is false. `cidr` is what their
         * NetworkPolicies let through: required when the URL's host is a name.
         */
        external: z
            .strictObject({
                url: z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, "must be http(s)://host[:port] with no path, e.g. http://192.168.1.50:11434"),
                cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR such as 192.168.1.50/32").optional(),
            })
            .optional(),
    })
    .prefault({});

const dbName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier: lowercase letters, digits and '_'");

export const postgresSchema = z
    .strictObject({
        enabled: z.boolean().default(true),
        /** cloudnative-pg operator chart version. */
        // renovate: datasource=helm depName=cloudnative-pg registryUrl=https://cloudnative-pg.github.io/charts
        operatorVersion: pinnedVersion.default("0.29.0"),
        /** cloudnative-pg `cluster` chart version. */
        // renovate: datasource=helm depName=cluster registryUrl=https://cloudnative-pg.github.io/charts
        clusterVersion: pinnedVersion.default("0.8.1"),
        repo: chartRepo.default("https://cloudnative-pg.github.io/charts"),
        postgresMajor: z.enum(["15", "16", "17"]).default("16"),
        instances: z.number().int().min(1).max(5).default(1),
        /** Databases to create, each owned by a role of the same name unless `owner` says otherwise. */
        databases: z.array(z.strictObject({ name: dbName, owner: dbName.optional() })).default([]),
        storage: storage("10Gi"),
        placement: placementSchema,
        resources: serviceResources({ cpu: "250m", memory: "512Mi" }, { cpu: "1", memory: "1Gi" }),
        operatorResources: serviceResources({ cpu: "50m", memory: "128Mi" }, { cpu: "500m", memory: "256Mi" }),
        values: helmValues,
        operatorValues: helmValues,
        timeoutSeconds: z.number().int().min(60).max(3600).default(600),
    })
    .prefault({});

/** The MongoDB release Rocket.Chat's database runs (`mongo:8.0.26-noble`, docker-library/mongo versions.json, 2026-06-11). */
// renovate: datasource=docker depName=mongo
export const ROCKETCHAT_MONGODB_VERSION = "8.0.26";
/** The image of a services.rocketchat.mongodb.version: the official image on Ubuntu noble (amd64 + arm64; mongodump and mongorestore included). */
export function rocketchatMongodbImage(version: string): string {
    return `mongo:${version}-noble`;
}
const mongodbVersion = z.string().regex(/^\d+\.\d+\.\d+$/, `must be an exact MongoDB release such as ${ROCKETCHAT_MONGODB_VERSION} (the image is mongo:<version>-noble)`);

export const rocketchatSchema = z
    .strictObject({
        // renovate: datasource=helm depName=rocketchat registryUrl=https://rocketchat.github.io/helm-charts
        ...helmFields({ version: "7.0.2", repo: "https://rocketchat.github.io/helm-charts" }),
        /** Public host name; without it no Ingress is made. */
        host: ingressHost.optional(),
        storage: storage("8Gi"),
        resources: serviceResources({ cpu: "500m", memory: "1Gi" }, { cpu: "2", memory: "2Gi" }),
        mongodbResources: serviceResources({ cpu: "250m", memory: "512Mi" }, { cpu: "1", memory: "1536Mi" }),
        /** Rocket.Chat's own MongoDB: the official `mongo:<version>-noble` image; the compatibility table (plan/compat) refuses a version Rocket.Chat cannot use. */
        mongodb: z.strictObject({ version: mongodbVersion.default(ROCKETCHAT_MONGODB_VERSION) }).prefault({}),
        /** Extra node labels; the architecture is always amd64 (the Rocket.Chat image is amd64-only). */
        nodeSelector: labels.default({}),
    })
    .prefault({});

export const monitoringSchema = z
    .strictObject({
        // renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
        ...helmFields({ version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts", timeoutSeconds: 900 }),
        /** How long Prometheus keeps samples, and the size cap that wins first. */
        retention: z.string().regex(/^\d+[hdw]$/, "must be a duration such as 5d").default("5d"),
        retentionSize: z.string().regex(/^\d+(MB|GB|TB)$/, "must be a Prometheus size such as 8GB (units MB, GB, TB)").default("8GB"),
        storage: storage("10Gi"),
        placement: placementSchema,
        prometheusResources: serviceResources({ cpu: "300m", memory: "1Gi" }, { cpu: "1", memory: "2Gi" }),
        grafanaResources: serviceResources({ cpu: "100m", memory: "192Mi" }, { cpu: "500m", memory: "384Mi" }),
        /** Alertmanager: on exactly when `alerts` names a receiver (the default); true without one is refused. */
        alertmanager: z.boolean().optional(),
        /**
         * Where alerts go. Without a receiver, Alertmanager and the alerting
         * rules are off (the recording rules stay: the dashboards use them).
         */
        alerts: z
            .strictObject({
                /** A webhook (Rocket.Chat's incoming webhook, ntfy, …): the secret config key holding its URL, token included. */
                webhook: z.strictObject({ urlKey: secretKeyName }).optional(),
                /** Mail through an SMTP relay (`host:port`); `passwordKey` names the secret config key of its password. */
                email: z
                    .strictObject({
                        to: z.string().regex(/^[^\s@]+@[^\s@]+$/, "must be an email address"),
                        from: z.string().regex(/^[^\s@]+@[^\s@]+$/, "must be an email address"),
                        smarthost: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be the SMTP relay as host:port, e.g. smtp.example.org:587"),
                        username: z.string().min(1).optional(),
                        passwordKey: secretKeyName.optional(),
                        requireTls: z.boolean().default(true),
                    })
                    .optional(),
            })
            .prefault({}),
        /** Provision the Pi hardware dashboards (temperature, CPU, memory, disk per node). */
        dashboards: z.boolean().default(true),
    })
    .superRefine((m, ctx) => {
        const receiver = m.alerts.webhook !== undefined || m.alerts.email !== undefined;
        if (m.alertmanager === true && !receiver) {
            ctx.addIssue({ code: "custom", path: ["alertmanager"], message: "but no receiver is configured, so every alert would go nowhere; set services.monitoring.alerts.webhook.urlKey (e.g. Rocket.Chat's incoming webhook) or alerts.email, or remove alertmanager" });
        }
        if (m.alertmanager === false && receiver) {
            ctx.addIssue({ code: "custom", path: ["alertmanager"], message: "while services.monitoring.alerts names a receiver that nothing would send to; remove alertmanager: false, or the receiver" });
        }
    })
    .transform((m) => ({ ...m, alertmanager: m.alerts.webhook !== undefined || m.alerts.email !== undefined }))
    .prefault({});

export const catalogPresetNames = ["jupyterhub", "rabbitmq", "headlamp", "registry", "minio"] as const;

export const catalogEntrySchema = z.strictObject({
    /** Release name; also the namespace unless `namespace` is given. */
    name: dnsLabel,
    enabled: z.boolean().default(true),
    /** A ready preset (chart, repo, version, hardened values); the fields below override it. */
    preset: z.enum(catalogPresetNames, { error: `must be one of ${catalogPresetNames.join(", ")}` }).optional(),
    chart: z.string().min(1).optional(),
    repo: chartRepo.optional(),
    version: pinnedVersion.optional(),
    namespace: dnsLabel.optional(),
    arch: archSchema.optional(),
    nodeSelector: labels.default({}),
    values: helmValues,
    secretValues,
    /** What the chart requests in total, for the capacity check (presets know theirs). */
    requests: z.strictObject({ cpu: cpuQuantity, memory: byteQuantity }).optional(),
    /** Pod Security level of the namespace; presets know theirs. */
    podSecurity: z.enum(["restricted", "baseline", "privileged"]).optional(),
    timeoutSeconds: z.number().int().min(60).max(3600).default(600),
    /** Wait for this chart's workloads (false) or not (true), whatever services.skipAwait says. */
    skipAwait: z.boolean().optional(),
}).superRefine((c, ctx) => {
    if (c.preset !== undefined) return;
    for (const key of ["chart", "repo", "version"] as const) {
        if (c[key] === undefined) {
            ctx.addIssue({ code: "custom", path: [key], message: `is required when no preset is given (presets: ${catalogPresetNames.join(", ")})` });
        }
    }
});
export type CatalogEntrySpec = z.output<typeof catalogEntrySchema>;

export const servicesSchema = z
    .strictObject({
        /** Do not wait for readiness (e2e against an API server without kubelets). */
        skipAwait: z.boolean().default(false),
        /**
         * Storage class of every volume that names none: defaults to the
         * chosen storage's class (`local-path`, or `longhorn` with storage.kind longhorn).
         */
        storageClass: storageClassName.optional(),
        /** local-path (default) or replicated Longhorn. */
        storage: storageSchema,
        ollama: ollamaSchema,
        postgres: postgresSchema,
        rocketchat: rocketchatSchema,
        monitoring: monitoringSchema,
        catalog: z.array(catalogEntrySchema).default([]),
        /** NVIDIA device plugin on `gpu: true` nodes (optional GPU time-slicing). */
        nvidiaDevicePlugin: devicePluginSchema,
        /**
         * Image repositories (`bitnamilegacy/rabbitmq`, `quay.io/minio/minio`)
         * whose frozen or end-of-life status you accept for an install that
         * already runs them: each is then warned on every preview instead of refused.
         */
        acceptUnmaintained: z.array(z.string().regex(/^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9][a-z0-9._\/-]*(\/\*)?$/, "must be an image repository without tag, such as bitnamilegacy/rabbitmq or quay.io/minio/minio")).default([]),
    })
    .superRefine((s, ctx) => {
        const seen = new Map<string, number>();
        s.catalog.forEach((c, i) => {
            const prev = seen.get(c.name);
            if (prev !== undefined) ctx.addIssue({ code: "custom", path: ["catalog", i, "name"], message: `duplicates catalog[${prev}].name '${c.name}'; release names must be unique` });
            else seen.set(c.name, i);
        });
        const owners = new Map<string, number>();
        s.postgres.databases.forEach((d, i) => {
            const prev = owners.get(d.name);
            if (prev !== undefined) ctx.addIssue({ code: "custom", path: ["postgres", "databases", i, "name"], message: `duplicates postgres.databases[${prev}].name '${d.name}'` });
            else owners.set(d.name, i);
        });
        if (s.ollama.gpu && s.ollama.placement.arch === "arm64") {
            ctx.addIssue({ code: "custom", path: ["ollama", "placement", "arch"], message: "is arm64 while ollama.gpu is true; GPU inference runs on the amd64 node only" });
        }
    })
    .transform((s) => ({ ...s, storageClass: s.storageClass ?? (s.storage.kind === "longhorn" ? LONGHORN_STORAGE_CLASS : "local-path") }))
    .prefault({});

export type ServicesSpec = z.output<typeof servicesSchema>;
export type OllamaSpec = ServicesSpec["ollama"];
export type PostgresSpec = ServicesSpec["postgres"];
export type RocketchatSpec = ServicesSpec["rocketchat"];
export type MonitoringSpec = ServicesSpec["monitoring"];

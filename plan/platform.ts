import { shownSecretName } from "../config/messages";
import type * as pulumi from "@pulumi/pulumi";
import type { SecretReader } from "../config/load";
import type { AppSpec, AppsSpec } from "../config/schema/apps";
import type { NodeSpec } from "../config/schema/cluster";
import type { ServicesSpec } from "../config/schema/services";
import { leastStrict, type PodSecurityLevel } from "../config/podSecurity";
import type { BackupPlan } from "./backups";
import type { StoragePlan } from "./storage";
import type { WorkloadDemand } from "./capacity";
import { SERVICE_PLANNERS } from "./services";
import { resolveCatalogEntry, type ResolvedCatalogEntry } from "./catalog/presets";
import { POSTGRES_NAMESPACE, type DatabaseSpec } from "./services/postgres";
import { ollamaAccess } from "./services/ollama";
import type { BuiltinServiceKey, ServicePlanner } from "./services/service";
import type { PinnedChart } from "./charts";
import type { IngressPlan, PlannedRoute } from "./ingress";
import type { LanPlan } from "./network";

export type { SecretReader };

/** What a catalog chart without a preset or `requests` is assumed to ask for. */
export const UNKNOWN_CHART_REQUESTS = { cpu: "100m", memory: "128Mi" };

/** One namespace the platform creates. */
export interface PlannedNamespace {
    name: string;
    /** The least strict level its workloads need. */
    podSecurity: PodSecurityLevel;
    /** Only our own apps live there: default-deny, each app allows its own flows. */
    defaultDeny: boolean;
}

export interface PlannedCatalogEntry {
    resolved: ResolvedCatalogEntry;
    /** Helm value path → secret, resolved from config. */
    secretValues: Record<string, pulumi.Output<string>>;
}

export interface PlannedApp {
    spec: AppSpec;
    namespace: string;
    /** Environment variable → secret, resolved from config. */
    secretEnv: Record<string, pulumi.Output<string>>;
    /** Its route from the LAN (`apps[].ingress`), set by the stack plan (plan/ingress). */
    route?: PlannedRoute;
}

/** What the Platform component creates, all of it decided and checked. */
export interface PlatformPlan {
    storageClass: string;
    skipAwait: boolean;
    /** The enabled built-in services, in creation order, each with its spec. */
    services: { key: BuiltinServiceKey; spec: ServicesSpec[BuiltinServiceKey] }[];
    namespaces: PlannedNamespace[];
    /** Databases to create: those under services.postgres plus one per app that asks. */
    databases: DatabaseSpec[];
    catalog: PlannedCatalogEntry[];
    apps: PlannedApp[];
    /** Every chart the platform installs, with the key that pins it. */
    charts: PinnedChart[];
    /** The requests of every enabled service, catalog entry and app. */
    demands: WorkloadDemand[];
    /** The backup target and schedules, set by the stack plan (undefined: no backups). */
    backups?: BackupPlan;
    /** Secrets a built-in service reads from config, by service and name (monitoring: the alert receiver's `url`, `password`). */
    serviceSecrets: Partial<Record<BuiltinServiceKey, Record<string, pulumi.Output<string>>>>;
    /** The storage choice, set by the stack plan. */
    storage?: StoragePlan;
    /** The front door (routes, issuer, cert-manager), set by the stack plan. */
    ingress?: IngressPlan;
    /** Addresses on the LAN (MetalLB's pool), set by the stack plan; created before everything else. */
    lan?: LanPlan;
}

/** The databases to create: those declared under services.postgres plus one per app that asks for one. */
export function databasesFor(services: ServicesSpec, apps: AppsSpec): DatabaseSpec[] {
    const dbs = new Map<string, DatabaseSpec>();
    for (const d of services.postgres.databases) dbs.set(d.name, { name: d.name, owner: d.owner ?? d.name });
    for (const a of apps) if (a.enabled && a.postgres && !dbs.has(a.postgres.database)) dbs.set(a.postgres.database, { name: a.postgres.database, owner: a.postgres.database });
    return [...dbs.values()];
}

/** Namespace → Pod Security level (the least strict its workloads need) and whether only our own apps live there. */
function namespacesFor(entries: { name: string; podSecurity: PodSecurityLevel; owned: boolean }[]): PlannedNamespace[] {
    const plan = new Map<string, PlannedNamespace>();
    for (const e of entries) {
        const prev = plan.get(e.name);
        plan.set(e.name, prev ? { name: e.name, podSecurity: leastStrict(prev.podSecurity, e.podSecurity), defaultDeny: prev.defaultDeny && e.owned } : { name: e.name, podSecurity: e.podSecurity, defaultDeny: e.owned });
    }
    return [...plan.values()];
}

/** Resolves `key → config key` maps to secrets; every missing or plain secret becomes a problem naming where it was referenced. */
function resolveSecrets(refs: Record<string, string>, where: string, secrets: SecretReader, problems: string[]): Record<string, pulumi.Output<string>> {
    const out: Record<string, pulumi.Output<string>> = {};
    for (const [at, key] of Object.entries(refs)) {
        const r = secrets(key);
        if ("problem" in r) problems.push(`${where}.${at} = ${shownSecretName(key)}: ${r.problem}`);
        else out[at] = r.value;
    }
    return out;
}

/** The key that pins a service's chart version. */
function pinKey(service: BuiltinServiceKey, chart: string): string {
    if (service === "postgres") return chart === "cluster" ? "services.postgres.clusterVersion" : "services.postgres.operatorVersion";
    return service === "storage" ? "services.storage.longhorn.version" : `services.${service}.version`;
}

/**
 * Plans the platform: runs each enabled service's checks, resolves catalog
 * presets and every referenced secret, decides namespaces and databases and
 * states the demands. Problems are appended to `problems`, never thrown.
 */
export function planPlatform(input: { services: ServicesSpec; apps: AppsSpec; nodes: NodeSpec[] }, secrets: SecretReader, problems: string[]): PlatformPlan {
    const { services, apps, nodes } = input;
    const ctx = { services, apps, nodes };
    const on = (p: ServicePlanner) => (p.enabledBy ? p.enabledBy(services[p.key] as never) : (services[p.key] as { enabled: boolean }).enabled);
    const enabled = SERVICE_PLANNERS.filter((p) => on(p) && (p.appliesTo?.(ctx) ?? true));
    const demands: WorkloadDemand[] = [];
    const namespaces: { name: string; podSecurity: PodSecurityLevel; owned: boolean }[] = [];
    const charts: PinnedChart[] = [];
    for (const planner of enabled) {
        const spec = services[planner.key] as never;
        charts.push(...planner.charts(spec).map((c) => ({ ...c, at: pinKey(planner.key, c.chart) })));
        problems.push(...planner.validate(spec, ctx));
        demands.push(...planner.demands(spec, ctx));
        namespaces.push(...planner.namespaces.map((n) => ({ ...n, owned: false })));
    }

    const catalog: PlannedCatalogEntry[] = [];
    // What presets may open to their pods (the notebooks' egress): the in-cluster services the config enables.
    const reach = { ollama: ollamaAccess(services.ollama), postgres: services.postgres.enabled ? { namespace: POSTGRES_NAMESPACE, port: 5432 } : undefined, monitoring: services.monitoring.enabled };
    services.catalog.forEach((entry, i) => {
        if (!entry.enabled) return;
        const resolved = resolveCatalogEntry(entry, services.storageClass, reach);
        const secretValues = resolveSecrets(entry.secretValues, `picluster:services.catalog[${i}].secretValues`, secrets, problems);
        const missing = (resolved.preset?.requiredSecretValues ?? []).filter((path) => !(path in entry.secretValues));
        if (missing.length > 0) {
            problems.push(
                `picluster:services.catalog[${i}].secretValues = ${JSON.stringify(entry.secretValues)}: the ${entry.preset} preset takes ${missing.join(" and ")} from secret config only; ` +
                    `add ${missing.map((m) => `${m}: <configKey>`).join(", ")} and set each with \`pulumi config set --secret picluster:<configKey>\``,
            );
        }
        catalog.push({ resolved, secretValues });
        charts.push({ ...resolved.chart, at: entry.version ? `services.catalog[${i}].version` : `services.catalog[${i}].preset (${entry.preset})` });
        namespaces.push({ name: resolved.namespace, podSecurity: resolved.podSecurity, owned: false });
        demands.push({ name: `catalog/${entry.name}`, ...(resolved.requests ?? UNKNOWN_CHART_REQUESTS), replicas: 1, arch: entry.arch, nodeSelector: entry.nodeSelector, storage: resolved.preset?.storage });
    });

    const planned: PlannedApp[] = [];
    apps.forEach((spec, i) => {
        if (!spec.enabled) return;
        if (spec.postgres && !services.postgres.enabled) {
            problems.push(`picluster:apps[${i}].postgres = ${JSON.stringify(spec.postgres)}: services.postgres is disabled; enable it or remove apps[${i}].postgres`);
        }
        const secretEnv = resolveSecrets(spec.secrets, `picluster:apps[${i}].secrets`, secrets, problems);
        const namespace = spec.namespace ?? spec.name;
        planned.push({ spec, namespace, secretEnv });
        namespaces.push({ name: namespace, podSecurity: "restricted", owned: true });
        demands.push({ name: `apps/${spec.name}`, ...spec.resources.requests, limitMemory: spec.resources.limits.memory, limitKey: `apps[${i}].resources.limits.memory`, replicas: spec.replicas, arch: spec.arch, nodeSelector: spec.nodeSelector });
    });

    // The alert receiver's secrets (webhook URL, mail password), named by config key, read here once.
    const serviceSecrets: PlatformPlan["serviceSecrets"] = {};
    if (services.monitoring.enabled) {
        const { webhook, email } = services.monitoring.alerts;
        const refs: Record<string, string> = { ...(webhook ? { "webhook.urlKey": webhook.urlKey } : {}), ...(email?.passwordKey ? { "email.passwordKey": email.passwordKey } : {}) };
        const found = resolveSecrets(refs, "picluster:services.monitoring.alerts", secrets, problems);
        serviceSecrets.monitoring = { ...(found["webhook.urlKey"] ? { url: found["webhook.urlKey"] } : {}), ...(found["email.passwordKey"] ? { password: found["email.passwordKey"] } : {}) };
    }

    return {
        serviceSecrets,
        storageClass: services.storageClass,
        skipAwait: services.skipAwait,
        services: enabled.map((p) => ({ key: p.key, spec: services[p.key] })),
        namespaces: namespacesFor(namespaces),
        databases: services.postgres.enabled ? databasesFor(services, apps) : [],
        catalog,
        charts,
        apps: planned,
        demands,
    };
}

import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../stacks/config";
import type { AppsSpec } from "../../stacks/schema/apps";
import type { ServicesSpec } from "../../stacks/schema/services";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { App } from "./app";
import { checkCapacity, nodeCapacities, type CapacityPlan, type WorkloadDemand } from "./capacity";
import { CatalogRelease, resolveCatalogEntry } from "./catalog";
import { platformDemands } from "./demands";
import { leastStrict, type PodSecurityLevel } from "./labels";
import { Monitoring } from "./monitoring";
import { PlatformNamespace } from "./namespace";
import { OLLAMA_NAMESPACE, Ollama } from "./ollama";
import { Postgres, type DatabaseSpec } from "./postgres";
import { RocketChat } from "./rocketchat";
import { deployDevicePlugin, devicePluginDemands, type NvidiaDevicePlugin } from "./services/nvidiaDevicePlugin";

export const NAMESPACES = {
    ollama: OLLAMA_NAMESPACE,
    cnpg: "cnpg-system",
    postgres: "postgres",
    rocketchat: "rocketchat",
    monitoring: "monitoring",
} as const;

export interface PlatformArgs {
    cluster: ClusterTarget;
    services: ServicesSpec;
    apps: AppsSpec;
    /** Reads a secret config key under `picluster:` (throws a ConfigError when missing or plain). */
    config: { secret(key: string): pulumi.Output<string> };
    /** Demands of other components (the agents) to include in the capacity check. */
    extraDemands?: WorkloadDemand[];
}

/** The databases to create: those declared under services.postgres plus one per app that asks for one. */
export function databasesFor(services: ServicesSpec, apps: AppsSpec): DatabaseSpec[] {
    const dbs = new Map<string, DatabaseSpec>();
    for (const d of services.postgres.databases) dbs.set(d.name, { name: d.name, owner: d.owner ?? d.name });
    for (const a of apps) if (a.enabled && a.postgres && !dbs.has(a.postgres.database)) dbs.set(a.postgres.database, { name: a.postgres.database, owner: a.postgres.database });
    return [...dbs.values()];
}

/** Namespace → Pod Security level (the least strict its workloads need) and whether only our own apps live there. */
export function namespacePlan(services: ServicesSpec, apps: AppsSpec): Map<string, { podSecurity: PodSecurityLevel; ownedOnly: boolean }> {
    const plan = new Map<string, { podSecurity: PodSecurityLevel; ownedOnly: boolean }>();
    const add = (ns: string, level: PodSecurityLevel, owned: boolean) => {
        const prev = plan.get(ns);
        plan.set(ns, prev ? { podSecurity: leastStrict(prev.podSecurity, level), ownedOnly: prev.ownedOnly && owned } : { podSecurity: level, ownedOnly: owned });
    };
    // Ollama's image runs as root; Rocket.Chat's chart sets no seccomp profile; node-exporter needs host namespaces.
    if (services.ollama.enabled) add(NAMESPACES.ollama, "baseline", false);
    if (services.postgres.enabled) {
        add(NAMESPACES.cnpg, "restricted", false);
        add(NAMESPACES.postgres, "restricted", false);
    }
    if (services.rocketchat.enabled) add(NAMESPACES.rocketchat, "baseline", false);
    if (services.monitoring.enabled) add(NAMESPACES.monitoring, "privileged", false);
    for (const c of services.catalog.filter((e) => e.enabled)) {
        const r = resolveCatalogEntry(c, services.storageClass);
        add(r.namespace, r.podSecurity, false);
    }
    for (const a of apps.filter((x) => x.enabled)) add(a.namespace ?? a.name, "restricted", true);
    return plan;
}

/**
 * Everything that runs on the cluster besides the agents: namespaces,
 * Ollama, PostgreSQL, Rocket.Chat, monitoring, catalog charts and plain
 * apps, each only when enabled, after a capacity check of the declared nodes.
 */
export class Platform extends pulumi.ComponentResource {
    /** Service name → in-cluster DNS name and port. */
    readonly endpoints: pulumi.Output<Record<string, string>>;
    /** Generated and derived credentials (`grafana/admin`, `postgres/<db>`, …), secret. */
    readonly credentials: pulumi.Output<Record<string, string>>;
    /** The capacity plan (undefined when targeting an existing cluster with no declared nodes). */
    readonly capacityPlan?: CapacityPlan;
    readonly namespaces: Record<string, PlatformNamespace> = {};
    readonly ollama?: Ollama;
    readonly postgres?: Postgres;
    readonly rocketchat?: RocketChat;
    readonly monitoring?: Monitoring;
    /** The NVIDIA device plugin, when a node is `gpu: true`. */
    readonly nvidiaDevicePlugin?: NvidiaDevicePlugin;
    readonly catalog: Record<string, CatalogRelease> = {};
    readonly apps: Record<string, App> = {};

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Platform", name, {}, opts);
        const { cluster, services, apps } = args;

        // Everything that can be wrong is found before the first resource is registered.
        const problems: string[] = [];
        const readSecret = (key: string, where: string): pulumi.Output<string> | undefined => {
            try {
                return args.config.secret(key);
            } catch (e) {
                const detail = e instanceof ConfigError ? e.problems.join("; ") : String(e);
                problems.push(`${where} = "${key}": ${detail}`);
                return undefined;
            }
        };
        if (services.ollama.enabled && services.ollama.gpu && cluster.nodes.length > 0 && !cluster.nodes.some((n) => n.gpu)) {
            problems.push("picluster:services.ollama.gpu = true: no node in cluster.nodes has gpu: true; mark the GPU node (cluster.nodes[i].gpu: true) or set services.ollama.gpu: false");
        }
        apps.forEach((a, i) => {
            if (a.enabled && a.postgres && !services.postgres.enabled) {
                problems.push(`picluster:apps[${i}].postgres = ${JSON.stringify(a.postgres)}: services.postgres is disabled; enable it or remove apps[${i}].postgres`);
            }
        });
        const catalogSecrets = services.catalog.map((c, i) =>
            Object.fromEntries(
                Object.entries(c.enabled ? c.secretValues : {}).flatMap(([path, key]) => {
                    const v = readSecret(key, `picluster:services.catalog[${i}].secretValues.${path}`);
                    return v ? [[path, v]] : [];
                }),
            ),
        );
        const appSecrets = apps.map((a, i) =>
            Object.fromEntries(
                Object.entries(a.enabled ? a.secrets : {}).flatMap(([envName, key]) => {
                    const v = readSecret(key, `picluster:apps[${i}].secrets.${envName}`);
                    return v ? [[envName, v]] : [];
                }),
            ),
        );
        if (problems.length > 0) throw new ConfigError(problems);

        if (cluster.nodes.length > 0) {
            this.capacityPlan = checkCapacity(
                [...platformDemands(services, apps, cluster.nodes), ...devicePluginDemands(services.nvidiaDevicePlugin, cluster.nodes), ...(args.extraDemands ?? [])],
                nodeCapacities(cluster.nodes, { gpuSharing: services.nvidiaDevicePlugin.gpuSharing }),
            );
        }

        for (const [ns, p] of namespacePlan(services, apps)) {
            this.namespaces[ns] = new PlatformNamespace(`${name}-ns-${ns}`, { cluster, name: ns, podSecurity: p.podSecurity, defaultDeny: p.ownedOnly }, { parent: this });
        }
        const common = { cluster, storageClass: services.storageClass, skipAwait: services.skipAwait };
        const endpoints: Record<string, string> = {};
        const credentials: Record<string, pulumi.Output<string>> = {};

        this.nvidiaDevicePlugin = deployDevicePlugin(name, { cluster, spec: services.nvidiaDevicePlugin, skipAwait: services.skipAwait }, this);
        if (services.ollama.enabled) {
            this.ollama = new Ollama(`${name}-ollama`, { ...common, namespace: this.namespaces[NAMESPACES.ollama], spec: services.ollama }, { parent: this });
            endpoints.ollama = this.ollama.endpoint;
        }
        if (services.monitoring.enabled) {
            this.monitoring = new Monitoring(`${name}-monitoring`, { ...common, namespace: this.namespaces[NAMESPACES.monitoring], spec: services.monitoring }, { parent: this });
            Object.assign(endpoints, this.monitoring.endpoints);
            credentials["grafana/admin"] = this.monitoring.grafanaAdminPassword;
        }
        if (services.postgres.enabled) {
            this.postgres = new Postgres(
                `${name}-postgres`,
                {
                    ...common,
                    operatorNamespace: this.namespaces[NAMESPACES.cnpg],
                    namespace: this.namespaces[NAMESPACES.postgres],
                    spec: services.postgres,
                    databases: databasesFor(services, apps),
                },
                { parent: this },
            );
            endpoints.postgres = this.postgres.endpoint;
            for (const [db, c] of Object.entries(this.postgres.credentials)) credentials[`postgres/${db}`] = c.password;
        }
        if (services.rocketchat.enabled) {
            this.rocketchat = new RocketChat(
                `${name}-rocketchat`,
                {
                    ...common,
                    namespace: this.namespaces[NAMESPACES.rocketchat],
                    spec: services.rocketchat,
                    monitoring: services.monitoring.enabled,
                    // Its PodMonitor kind comes with kube-prometheus-stack.
                    dependsOn: this.monitoring ? [this.monitoring.helm.release] : [],
                },
                { parent: this },
            );
            endpoints.rocketchat = this.rocketchat.endpoint;
            credentials["rocketchat/mongodb-root"] = this.rocketchat.mongodbRootPassword;
        }
        services.catalog.forEach((entry, i) => {
            if (!entry.enabled) return;
            const ns = resolveCatalogEntry(entry, services.storageClass).namespace;
            const rel = new CatalogRelease(
                `${name}-catalog-${entry.name}`,
                { ...common, namespace: this.namespaces[ns], entry, secretValues: catalogSecrets[i] },
                { parent: this },
            );
            this.catalog[entry.name] = rel;
            if (rel.endpoint) endpoints[entry.name] = rel.endpoint;
            for (const [k, v] of Object.entries(rel.generated)) credentials[`${entry.name}/${k}`] = v;
        });
        apps.forEach((spec, i) => {
            if (!spec.enabled) return;
            const app = new App(
                `${name}-app-${spec.name}`,
                {
                    ...common,
                    namespace: this.namespaces[spec.namespace ?? spec.name],
                    spec,
                    secretEnv: appSecrets[i],
                    postgres: spec.postgres ? this.postgres?.credentials[spec.postgres.database] : undefined,
                    postgresNamespace: NAMESPACES.postgres,
                },
                { parent: this },
            );
            this.apps[spec.name] = app;
            endpoints[spec.name] = app.endpoint;
        });

        this.endpoints = pulumi.output(endpoints);
        this.credentials = pulumi.secret(pulumi.output(credentials)) as pulumi.Output<Record<string, string>>;
        this.registerOutputs({ endpoints: this.endpoints, credentials: this.credentials });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PostgresSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { HelmService } from "../helmService";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { nodeSelectorFor, resourceValues, type Values } from "../../../plan/values";
import type { BackupPlan } from "../../../plan/backups";
import { postgresBackupSecret, postgresBackupValues } from "../backups/postgres";
import { defineService, type DatabaseCredentials } from "./service";

export type { DatabaseCredentials };
import { POSTGRES_NAMESPACE, POSTGRES_OPERATOR_NAMESPACE, type DatabaseSpec } from "../../../plan/services/postgres";

export const POSTGRES_CLUSTER = "postgres";
export const POSTGRES_PORT = 5432;


/** The Kubernetes Secret name holding a role's password (CloudNativePG expects kubernetes.io/basic-auth). */
export function roleSecretName(role: string): string {
    return `pg-role-${role.replace(/_/g, "-")}`;
}

/** Values for the cloudnative-pg operator chart; its PodMonitor when kube-prometheus-stack runs (its CRD). */
export function operatorValues(spec: PostgresSpec, monitoring?: PostgresMonitoring): Values {
    return {
        crds: { create: true },
        replicaCount: 1,
        resources: resourceValues(spec.operatorResources),
        nodeSelector: nodeSelectorFor(spec.placement),
        monitoring: { podMonitorEnabled: monitoring !== undefined },
    };
}

/** kube-prometheus-stack beside PostgreSQL: PodMonitors for the operator and the instances, and CNPG's alert rules when alerts have a receiver. */
export interface PostgresMonitoring {
    alerting: boolean;
}

/**
 * The PostgreSQL image per major: CloudNativePG's own catalog
 * (cloudnative-pg/postgres-containers, Debian/ClusterImageCatalog-bookworm.yaml,
 * 2026-08-17), exact and by digest. The chart's default `postgresql:<major>`
 * floats to whatever minor is newest on the next reschedule.
 */
export const POSTGRES_IMAGES: Record<PostgresSpec["postgresMajor"], string> = {
    "15": "ghcr.io/cloudnative-pg/postgresql:15.19-202608170814-system-bookworm@sha256:08eb167b35d7b67e4cf40385262a954c0412ec981ec55b9a5b3a8b9ec2f95053",
    "16": "ghcr.io/cloudnative-pg/postgresql:16.15-202608170814-system-bookworm@sha256:1625a452268aa8cb5149ec5a7428484e0a0402b8319598ec3d74ec212d21dbf2",
    "17": "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-system-bookworm@sha256:d24d5a390d90b20a43ef7036981f5e6c6f78bbd3198a1e2cd99443fbbd14a9b8",
};

/** Values for the cloudnative-pg `cluster` chart: one Cluster, managed roles and Database objects. */
export function clusterValues(spec: PostgresSpec, databases: DatabaseSpec[], storageClass: string, backups?: BackupPlan, monitoring?: PostgresMonitoring): Values {
    const roles = [...new Set(databases.map((d) => d.owner))];
    return {
        fullnameOverride: POSTGRES_CLUSTER,
        type: "postgresql",
        mode: "standalone",
        version: { postgresql: spec.postgresMajor },
        cluster: {
            imageName: POSTGRES_IMAGES[spec.postgresMajor],
            instances: spec.instances,
            storage: { size: spec.storage.size, storageClass: spec.storage.storageClass ?? storageClass },
            resources: resourceValues(spec.resources),
            affinity: { nodeSelector: nodeSelectorFor(spec.placement), topologyKey: "kubernetes.io/hostname" },
            // Apps get their own roles; nobody needs a superuser password lying around.
            enableSuperuserAccess: false,
            roles: roles.map((r) => ({ name: r, ensure: "present", login: true, passwordSecret: { name: roleSecretName(r) } })),
            // The instances' metrics (port 9187) through the chart's PodMonitor; its PrometheusRule only where alerts reach someone.
            monitoring: { enabled: monitoring !== undefined, podMonitor: { enabled: true }, prometheusRule: { enabled: monitoring?.alerting ?? false } },
        },
        databases: databases.map((d) => ({ name: d.name, owner: d.owner, ensure: "present" })),
        ...(backups ? { backups: postgresBackupValues(backups) } : {}),
    };
}

export interface PostgresArgs {
    cluster: ClusterTarget;
    /** Namespace of the operator (`cnpg-system`). */
    operatorNamespace: NamespaceRef;
    /** Namespace of the database cluster (`postgres`). */
    namespace: NamespaceRef;
    spec: PostgresSpec;
    /** Databases to create: the spec's plus those the apps ask for. */
    databases: DatabaseSpec[];
    storageClass: string;
    skipAwait: boolean;
    /** Base backups and WAL archiving to this target; none when undefined. */
    backups?: BackupPlan;
    /** kube-prometheus-stack is installed: monitors (and, with a receiver, alert rules) and its release to wait for. */
    monitoring?: PostgresMonitoring & { ready: pulumi.Resource[] };
}

/**
 * PostgreSQL through CloudNativePG: the operator chart, then the `cluster`
 * chart with one managed role per database owner whose password is
 * generated with @pulumi/random and stored in a basic-auth Secret.
 */
export class Postgres extends pulumi.ComponentResource {
    readonly operator: HelmService;
    readonly clusterRelease: HelmService;
    /** `postgres-rw.postgres.svc.cluster.local:5432` (the primary). */
    readonly endpoint: string;
    /** Per database name. */
    readonly credentials: Record<string, DatabaseCredentials> = {};

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Postgres", name, {}, opts);
        const { cluster, spec } = args;
        const k8sOpts = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: cluster.provider,
            dependsOn: [...cluster.readyResources, args.namespace.resource, ...deps],
        });
        const host = `${POSTGRES_CLUSTER}-rw.${args.namespace.name}.svc.cluster.local`;
        this.endpoint = `${host}:${POSTGRES_PORT}`;

        this.operator = new HelmService(
            `${name}-operator`,
            {
                cluster,
                namespace: args.operatorNamespace,
                releaseName: "cnpg",
                chart: { chart: "cloudnative-pg", repo: spec.repo, version: spec.operatorVersion },
                defaults: operatorValues(spec, args.monitoring),
                overrides: spec.operatorValues,
                timeoutSeconds: spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                // Its PodMonitor kind comes with kube-prometheus-stack.
                dependsOn: args.monitoring?.ready ?? [],
            },
            { parent: this },
        );

        const passwords = new Map<string, pulumi.Output<string>>();
        const secrets: pulumi.Resource[] = [];
        for (const role of [...new Set(args.databases.map((d) => d.owner))]) {
            const password = new random.RandomPassword(`${name}-${role}-password`, { length: 32, special: false }, { parent: this });
            const value = pulumi.secret(password.result);
            passwords.set(role, value);
            secrets.push(
                new k8s.core.v1.Secret(
                    `${name}-${role}-role`,
                    {
                        metadata: {
                            name: roleSecretName(role),
                            namespace: args.namespace.name,
                            labels: { ...standardLabels("postgres", "credentials"), "cnpg.io/reload": "true" },
                        },
                        type: "kubernetes.io/basic-auth",
                        stringData: { username: role, password: value },
                    },
                    k8sOpts(),
                ),
            );
        }
        if (args.backups) secrets.push(postgresBackupSecret(`${name}-backup-s3`, args.backups, args.namespace.name, k8sOpts()));
        for (const d of args.databases) {
            this.credentials[d.name] = {
                host,
                port: POSTGRES_PORT,
                database: d.name,
                username: d.owner,
                password: passwords.get(d.owner) as pulumi.Output<string>,
                secretName: roleSecretName(d.owner),
            };
        }

        this.clusterRelease = new HelmService(
            `${name}-cluster`,
            {
                cluster,
                namespace: args.namespace,
                releaseName: POSTGRES_CLUSTER,
                chart: { chart: "cluster", repo: spec.repo, version: spec.clusterVersion },
                defaults: clusterValues(spec, args.databases, args.storageClass, args.backups, args.monitoring),
                overrides: spec.values,
                timeoutSeconds: spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                // The Cluster and Database kinds come with the operator, whose webhook must be running to admit
                // them (its readiness); role Secrets must exist before the roles.
                dependsOn: [this.operator.ready, ...secrets],
            },
            { parent: this },
        );
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

/** PostgreSQL through CloudNativePG as a built-in service: `picluster:services.postgres`. */
export const postgresService = defineService({
    key: "postgres",
    type: "picluster:platform:Postgres",
    create(name, args, opts) {
        const component = new Postgres(
            name,
            {
                ...args,
                operatorNamespace: args.namespaces[POSTGRES_OPERATOR_NAMESPACE],
                namespace: args.namespaces[POSTGRES_NAMESPACE],
                databases: args.databases,
                monitoring: args.created.monitoring ? { alerting: args.created.monitoring.alerting ?? false, ready: args.created.monitoring.ready ?? [] } : undefined,
            },
            opts,
        );
        const credentials = Object.fromEntries(Object.entries(component.credentials).map(([db, c]) => [`postgres/${db}`, c.password]));
        return { component, endpoints: { postgres: component.endpoint }, credentials, databases: component.credentials };
    },
});

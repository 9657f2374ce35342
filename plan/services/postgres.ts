import type { AppsSpec } from "../../config/schema/apps";
import type { ServicesSpec } from "../../config/schema/services";
import { defineServicePlanner } from "./service";

export const POSTGRES_OPERATOR_NAMESPACE = "cnpg-system";
/** Where the CloudNativePG cluster and its databases live. */
export const POSTGRES_NAMESPACE = "postgres";

/** One database the Postgres service creates, with its owning role. */
export interface DatabaseSpec {
    name: string;
    owner: string;
}

/** The databases to create: those declared under services.postgres plus one per app that asks for one. */
export function databasesFor(services: ServicesSpec, apps: AppsSpec): DatabaseSpec[] {
    const dbs = new Map<string, DatabaseSpec>();
    for (const d of services.postgres.databases) dbs.set(d.name, { name: d.name, owner: d.owner ?? d.name });
    for (const a of apps) if (a.enabled && a.postgres && !dbs.has(a.postgres.database)) dbs.set(a.postgres.database, { name: a.postgres.database, owner: a.postgres.database });
    return [...dbs.values()];
}

/** CloudNativePG: its operator and one cluster. */
export const postgresPlanner = defineServicePlanner({
    key: "postgres",
    charts: (spec) => [
        { chart: "cloudnative-pg", repo: spec.repo, version: spec.operatorVersion },
        { chart: "cluster", repo: spec.repo, version: spec.clusterVersion },
    ],
    namespaces: [
        { name: POSTGRES_OPERATOR_NAMESPACE, podSecurity: "restricted" },
        { name: POSTGRES_NAMESPACE, podSecurity: "restricted" },
    ],
    validate: () => [],
    objects: () => [
        { kind: "HelmRelease", namespace: POSTGRES_OPERATOR_NAMESPACE, name: "cnpg" },
        { kind: "HelmRelease", namespace: POSTGRES_NAMESPACE, name: "postgres" },
        ...["rw", "ro", "r"].map((s) => ({ kind: "Service" as const, namespace: POSTGRES_NAMESPACE, name: `postgres-${s}` })),
    ],
    demands(spec) {
        const place = { arch: spec.placement.arch, nodeSelector: spec.placement.nodeSelector };
        return [
            { name: "postgres/cnpg-operator", ...spec.operatorResources.requests, replicas: 1, ...place, limitMemory: spec.operatorResources.limits.memory, limitKey: "services.postgres.operatorResources.limits.memory" },
            { name: "postgres/instance", ...spec.resources.requests, limitMemory: spec.resources.limits.memory, limitKey: "services.postgres.resources.limits.memory", replicas: spec.instances, storage: spec.storage.size, storageClass: spec.storage.storageClass, ...place },
        ];
    },
});

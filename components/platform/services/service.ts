import type * as pulumi from "@pulumi/pulumi";
import type { ServicesSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import type { BackupPlan } from "../../../plan/backups";
import type { BuiltinServiceKey } from "../../../plan/services/service";
import type { StoragePlan } from "../../../plan/storage";
import type { NamespaceRef } from "../../k8s/namespace";
import type { DatabaseSpec } from "../../../plan/services/postgres";

export type { BuiltinServiceKey };


/** Connection facts of one database; the password is a secret Output. */
export interface DatabaseCredentials {
    host: string;
    port: number;
    database: string;
    username: string;
    password: pulumi.Output<string>;
    /** Basic-auth Secret in the postgres namespace (what CloudNativePG reads). */
    secretName: string;
}

/** Everything a service's `create` gets: all of it decided by the plan. */
export interface ServiceCreateArgs<K extends BuiltinServiceKey> {
    cluster: ClusterTarget;
    spec: ServicesSpec[K];
    /** The service's namespaces by name, already created. */
    namespaces: Record<string, NamespaceRef>;
    storageClass: string;
    skipAwait: boolean;
    /** Databases the plan decided on (postgres only). */
    databases: DatabaseSpec[];
    /** The backup target and schedules; undefined when backups are off. */
    backups?: BackupPlan;
    /** The storage choice (replica count, replica nodes), planned; undefined in plans made without it. */
    storage?: StoragePlan;
    /** What the services created before this one returned, by key (e.g. rocketchat waits for monitoring's CRDs). */
    created: Partial<Record<BuiltinServiceKey, ServiceOutputs>>;
    /** Secrets the plan read from config for this service, by name (monitoring: the alert receiver's `url`, `password`). */
    secrets?: Record<string, pulumi.Output<string>>;
}

/** What a created service hands back to the platform. */
export interface ServiceOutputs {
    component: pulumi.ComponentResource;
    /** Name → in-cluster `host:port`. */
    endpoints: Record<string, string>;
    /** Name (`grafana/admin`) → secret. */
    credentials: Record<string, pulumi.Output<string>>;
    /** Resources later services may depend on (e.g. the release that installs CRDs). */
    ready?: pulumi.Resource[];
    /** Per database name (postgres only). */
    databases?: Record<string, DatabaseCredentials>;
    /** monitoring: whether alerts reach a receiver (later services add their alert rules only then). */
    alerting?: boolean;
    /** What every later service, catalog chart and app waits for (the storage class's provider). */
    platformReady?: pulumi.Resource[];
}

/**
 * One built-in service's resources: its component type and how to create it
 * from what the plan decided. What the service needs (namespaces, checks,
 * demands) is its planner's, under the same key (plan/services/<service>.ts).
 */
export interface ServiceDescriptor<K extends BuiltinServiceKey = BuiltinServiceKey> {
    /** `picluster:services.<key>`. */
    key: K;
    /** The component's type token (what `npm run deploy` looks up in state). */
    type: string;
    /** Registers the component; never throws a config error (the plan has checked everything). */
    create(name: string, args: ServiceCreateArgs<K>, opts: pulumi.ComponentResourceOptions): ServiceOutputs;
}

/** Keeps each descriptor's key and spec type tied together. */
export function defineService<K extends BuiltinServiceKey>(d: ServiceDescriptor<K>): ServiceDescriptor<K> {
    return d;
}

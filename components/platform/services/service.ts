import type * as pulumi from "@pulumi/pulumi";
import type { AppsSpec } from "../../../stacks/schema/apps";
import type { NodeSpec } from "../../../stacks/schema/cluster";
import type { ServicesSpec } from "../../../stacks/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import type { BackupPlan } from "../backups/plan";
import type { WorkloadDemand } from "../capacity";
import type { StoragePlan } from "../storage";
import type { PodSecurityLevel } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import type { DatabaseCredentials, DatabaseSpec } from "./postgres";

/** The built-in services: each a key under `picluster:services`. */
export type BuiltinServiceKey = "storage" | "ollama" | "postgres" | "rocketchat" | "monitoring" | "nvidiaDevicePlugin";

/** What the plan knows when it asks a service to validate itself or state its demands. Pure data. */
export interface ServicePlanContext {
    services: ServicesSpec;
    apps: AppsSpec;
    /** The declared nodes (empty when targeting an existing cluster). */
    nodes: NodeSpec[];
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
    /** What every later service, catalog chart and app waits for (the storage class's provider). */
    platformReady?: pulumi.Resource[];
}

/**
 * One built-in service, in one file: its config key, component type, the
 * namespaces it needs with their Pod Security level, its cross-key checks,
 * its demands on the nodes and how to create it. The plan, the Platform
 * component, `npm run deploy` and the docs all loop over {@link SERVICES}.
 */
export interface ServiceDescriptor<K extends BuiltinServiceKey = BuiltinServiceKey> {
    /** `picluster:services.<key>`. */
    key: K;
    /** The component's type token (what `npm run deploy` looks up in state). */
    type: string;
    /** Namespaces the service lives in and the least strict Pod Security level its pods need. */
    namespaces: { name: string; podSecurity: PodSecurityLevel }[];
    /** Whether the config switches it on; `spec.enabled` when absent. */
    enabledBy?(spec: ServicesSpec[K]): boolean;
    /** Whether the service has work on these nodes (e.g. only with a GPU node); enabled services apply when absent. */
    appliesTo?(ctx: ServicePlanContext): boolean;
    /** Cross-key problems, one line each naming the key, the value and the fix. Only called when enabled. */
    validate(spec: ServicesSpec[K], ctx: ServicePlanContext): string[];
    /** The requests of its long-running pods, for the capacity check. Only called when enabled. */
    demands(spec: ServicesSpec[K], ctx: ServicePlanContext): WorkloadDemand[];
    /** Registers the component; never throws a config error (the plan has checked everything). */
    create(name: string, args: ServiceCreateArgs<K>, opts: pulumi.ComponentResourceOptions): ServiceOutputs;
}

/** Keeps each descriptor's key and spec type tied together. */
export function defineService<K extends BuiltinServiceKey>(d: ServiceDescriptor<K>): ServiceDescriptor<K> {
    return d;
}

import type { AppsSpec } from "../../config/schema/apps";
import type { NodeSpec } from "../../config/schema/cluster";
import type { ServicesSpec } from "../../config/schema/services";
import type { PodSecurityLevel } from "../../config/podSecurity";
import type { WorkloadDemand } from "../capacity";
import type { ChartRef } from "../catalog/types";

/** The built-in services: each a key under `picluster:services`. */
export type BuiltinServiceKey = "storage" | "ollama" | "postgres" | "rocketchat" | "monitoring" | "nvidiaDevicePlugin";

/** What the plan knows when it asks a service to validate itself or state its demands. Pure data. */
export interface ServicePlanContext {
    services: ServicesSpec;
    apps: AppsSpec;
    /** The declared nodes (empty when targeting an existing cluster). */
    nodes: NodeSpec[];
}

/**
 * What the plan needs to know of one built-in service: its config key, the
 * namespaces it needs with their Pod Security level, its cross-key checks and
 * its demands on the nodes. The resources live in the service's component
 * (components/platform/services/<service>.ts), registered by the same key.
 */
export interface ServicePlanner<K extends BuiltinServiceKey = BuiltinServiceKey> {
    /** `picluster:services.<key>`. */
    key: K;
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
    /** The charts it installs, pinned: each is checked against its repository's index at preview. */
    charts(spec: ServicesSpec[K]): ChartRef[];
    /** The named objects it creates that another part could name too: its Helm releases and their main Services (the inventory). */
    objects?(spec: ServicesSpec[K], ctx: ServicePlanContext): PlannedObject[];
    /** The web UIs it serves, each routed as `<name>.<network.domain>` by the front door (plan/ingress). */
    webUIs?(spec: ServicesSpec[K]): WebUI[];
}

/** A web UI a service serves: the Service and port a route reaches, and how a user logs in. */
export interface WebUI {
    /** The route's name: its key under network.routes and its default host's first label (`grafana`). */
    name: string;
    namespace: string;
    service: string;
    port: number;
    /** How to log in, for the `urls` output; undefined when the UI has no login (the basic-auth login goes in front). */
    login?: string;
}

/** An object a service creates, for the plan's inventory (plan/inventory.ts). */
export interface PlannedObject {
    kind: "HelmRelease" | "Service";
    namespace: string;
    name: string;
}

/** Keeps each planner's key and spec type tied together. */
export function defineServicePlanner<K extends BuiltinServiceKey>(d: ServicePlanner<K>): ServicePlanner<K> {
    return d;
}

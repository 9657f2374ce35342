import type { PiclusterConfig } from "../config/load";
import type { PlatformPlan } from "./platform";
import { AGENT_HOST_NAMESPACE } from "./agentDemand";
import { SERVICE_PLANNERS } from "./services";

/*
 * The object inventory: every (kind, namespace, name) that some part of the
 * config creates, with the key that asks for it. Two owners of one object
 * would fail halfway through `up`, after the cluster is built; the plan
 * refuses them first, naming both keys.
 */

/** One object some part of the config creates. */
export interface OwnedObject {
    kind: "Namespace" | "HelmRelease" | "Service" | "Deployment" | "NetworkPolicy";
    /** Undefined for cluster-scoped kinds. */
    namespace?: string;
    name: string;
    /** The config key that asks for it, e.g. `picluster:services.catalog[2]`. */
    owner: string;
}

/** Namespaces k3s itself owns: creating one of them would take it over. */
const K3S_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const id = (o: Pick<OwnedObject, "kind" | "namespace" | "name">) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;

/** Everything the platform, the agents and the worker templates create, by owner. */
export function inventoryOf(config: Pick<PiclusterConfig, "services" | "apps" | "agentHost" | "workerAgents">, platform: PlatformPlan): OwnedObject[] {
    const objects: OwnedObject[] = K3S_NAMESPACES.map((name) => ({ kind: "Namespace", name, owner: "k3s" }));
    const ctx = { services: config.services, apps: config.apps, nodes: [] };
    // The Platform creates each namespace once for all who share it: the first to claim it owns it.
    const nsOwner = new Map<string, string>();
    for (const { key, spec } of platform.services) {
        const planner = SERVICE_PLANNERS.find((p) => p.key === key);
        for (const ns of planner?.namespaces ?? []) if (!nsOwner.has(ns.name)) nsOwner.set(ns.name, `picluster:services.${key}`);
        for (const o of planner?.objects?.(spec as never, ctx) ?? []) objects.push({ ...o, owner: `picluster:services.${key}` });
    }
    config.services.catalog.forEach((entry, i) => {
        const planned = platform.catalog.find((c) => c.resolved.name === entry.name && entry.enabled);
        if (!planned) return;
        const owner = `picluster:services.catalog[${i}]`;
        const { resolved } = planned;
        if (!nsOwner.has(resolved.namespace)) nsOwner.set(resolved.namespace, owner);
        objects.push({ kind: "HelmRelease", namespace: resolved.namespace, name: resolved.name, owner });
        if (resolved.preset?.service) objects.push({ kind: "Service", namespace: resolved.namespace, name: resolved.preset.service.name(resolved.name), owner });
    });
    config.apps.forEach((app, i) => {
        if (!app.enabled) return;
        const owner = `picluster:apps[${i}]`;
        const ns = app.namespace ?? app.name;
        if (!nsOwner.has(ns)) nsOwner.set(ns, owner);
        objects.push({ kind: "Deployment", namespace: ns, name: app.name, owner }, { kind: "Service", namespace: ns, name: app.name, owner }, { kind: "NetworkPolicy", namespace: ns, name: `${app.name}-allow`, owner });
    });
    for (const ns of platform.namespaces) {
        const owner = nsOwner.get(ns.name) ?? "picluster:services";
        objects.push({ kind: "Namespace", name: ns.name, owner });
        if (ns.defaultDeny) objects.push({ kind: "NetworkPolicy", namespace: ns.name, name: "default-deny", owner });
    }
    for (const o of platform.ingress?.objects ?? []) objects.push(o);
    if (config.agentHost.enabled) objects.push({ kind: "Namespace", name: AGENT_HOST_NAMESPACE, owner: "picluster:agentHost" });
    if (config.workerAgents.enabled) objects.push({ kind: "Namespace", name: config.workerAgents.namespace, owner: "picluster:workerAgents.namespace" });
    return objects;
}

/** One line per object claimed by two owners: both keys, and which to change. */
export function inventoryProblems(objects: OwnedObject[]): string[] {
    const first = new Map<string, OwnedObject>();
    const problems: string[] = [];
    for (const o of objects) {
        const prev = first.get(id(o));
        if (!prev) {
            first.set(id(o), o);
            continue;
        }
        if (prev.owner === o.owner) continue;
        const fix = prev.owner === "k3s" ? `${o.owner} must use another name: k3s owns ${o.name}` : `rename or move one of them (change ${o.owner}'s name or namespace)`;
        problems.push(`${o.owner} creates ${id(o)}, which ${prev.owner} already creates; ${fix}`);
    }
    return problems;
}

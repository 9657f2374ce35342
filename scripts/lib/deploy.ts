import { AGENT_HOST_POOL_TYPE } from "../../components/agents/agentHostPool";
import { WORKER_AGENTS_TYPE } from "../../components/agents/workerAgents";
import { APP_TYPE } from "../../components/platform/app";
import { PLATFORM_CHILD_INFIX } from "../../components/platform/platform";
import { SERVICES } from "../../components/platform/services";
import { CATALOG_RELEASE_TYPE } from "../../components/platform/services/catalog";
import type { StackPlan } from "../../plan/plan";

/*
 * `npm run deploy -- <service>`: a targeted `pulumi up` of one service's
 * component and what depends on it. The valid names come from the stack's
 * plan, the component types and names from the components; the URNs from the
 * stack's state (`pulumi stack export`), so nothing here has to rebuild
 * Pulumi's URN scheme.
 */

/** A deployable unit: a component instance, found in state by its type and name. */
export interface DeployTarget {
    /** What the user types: `ollama`, `agent-host`, `jupyterhub`, … */
    name: string;
    /** The component's type token. */
    type: string;
    /** The component's logical name ends with this (catalog entries, apps); any instance of `type` when undefined. */
    nameSuffix?: string;
    /** False when the stack's plan does not create it. */
    enabled: boolean;
    /** Where it is configured, for messages. */
    configKey: string;
}

/** What deploy reads of a stack's plan (a StackPlan has all of it; `{}` declares nothing). */
export type DeployablePlan = Partial<{
    config: Pick<StackPlan["config"], "services" | "agentHost" | "workerAgents" | "apps">;
    platform: Pick<StackPlan["platform"], "services" | "catalog" | "apps">;
}>;

/**
 * Every deployable name of a stack: the built-in services, `agent-host`,
 * `worker-agents`, each catalog entry and each app its config declares,
 * enabled when the plan creates it. Types and names are the components' own.
 */
export function deployTargets(plan: DeployablePlan): DeployTarget[] {
    const { config, platform } = plan;
    if (!config) return [];
    const planned = new Set(platform?.services.map((s) => s.key));
    const targets: DeployTarget[] = SERVICES.map((d) => ({ name: d.key, type: d.type, enabled: planned.has(d.key), configKey: `services.${d.key}` }));
    targets.push({ name: "agent-host", type: AGENT_HOST_POOL_TYPE, enabled: config.agentHost.enabled, configKey: "agentHost" });
    targets.push({ name: "worker-agents", type: WORKER_AGENTS_TYPE, enabled: config.workerAgents.enabled, configKey: "workerAgents" });
    const catalog = new Set(platform?.catalog.map((c) => c.resolved.name));
    config.services.catalog.forEach((entry, i) => {
        const nameSuffix = `${PLATFORM_CHILD_INFIX.catalog}${entry.name}`;
        targets.push({ name: entry.name, type: CATALOG_RELEASE_TYPE, nameSuffix, enabled: catalog.has(entry.name), configKey: `services.catalog[${i}]` });
    });
    const apps = new Set(platform?.apps.map((a) => a.spec.name));
    config.apps.forEach((app, i) => {
        targets.push({ name: app.name, type: APP_TYPE, nameSuffix: `${PLATFORM_CHILD_INFIX.app}${app.name}`, enabled: apps.has(app.name), configKey: `apps[${i}]` });
    });
    return targets;
}

/** The qualified name that is always unambiguous: `catalog/<name>`, `app/<name>`, or the plain name. */
export function qualifiedName(t: DeployTarget): string {
    if (t.type === CATALOG_RELEASE_TYPE) return `catalog/${t.name}`;
    if (t.type === APP_TYPE) return `app/${t.name}`;
    return t.name;
}

export type Resolution = { ok: true; target: DeployTarget } | { ok: false; message: string };

/** Resolves what the user typed to one enabled target, or explains why not and lists the valid names. */
export function resolveDeployTarget(name: string, targets: DeployTarget[], stack: string): Resolution {
    const enabled = targets.filter((t) => t.enabled);
    const valid = () => (enabled.length > 0 ? enabled.map((t) => (enabled.filter((o) => o.name === t.name).length > 1 ? qualifiedName(t) : t.name)).join(", ") : "(none: nothing is enabled)");
    const matches = targets.filter((t) => t.name === name || qualifiedName(t) === name);
    if (matches.length === 0) return { ok: false, message: `unknown service '${name}' in stack ${stack}; valid names: ${valid()}` };
    const on = matches.filter((t) => t.enabled);
    if (on.length === 0) {
        const t = matches[0];
        return { ok: false, message: `${name} is disabled in stack ${stack} (picluster:${t.configKey}.enabled); enable it and run a full \`pulumi up --stack ${stack}\`. Valid names: ${valid()}` };
    }
    if (on.length > 1) return { ok: false, message: `'${name}' is ambiguous in stack ${stack}; use one of ${on.map(qualifiedName).join(", ")}` };
    return { ok: true, target: on[0] };
}

/** The URNs of a target's component in a `pulumi stack export` document. */
export function findTargetUrns(target: DeployTarget, exported: unknown): string[] {
    const resources = (exported as { deployment?: { resources?: { urn?: unknown; type?: unknown }[] } } | null)?.deployment?.resources ?? [];
    return resources
        .filter((r): r is { urn: string; type: string } => typeof r.urn === "string" && r.type === target.type)
        .filter((r) => target.nameSuffix === undefined || (r.urn.split("::").pop() ?? "").endsWith(target.nameSuffix))
        .map((r) => r.urn)
        .sort();
}

/** The policy pack every preview and up of this program runs (docs/policy.md), relative to the repository. */
export const POLICY_PACK = "policy";

/** The `pulumi` arguments of the targeted update. */
export function deployCommand(stack: string, urns: string[], extra: string[] = []): string[] {
    return ["up", "--stack", stack, "--policy-pack", POLICY_PACK, ...urns.flatMap((u) => ["--target", u]), "--target-dependents", ...extra];
}

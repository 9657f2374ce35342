import { SERVICES } from "../../components/platform/services";

/*
 * `npm run deploy -- <service>`: a targeted `pulumi up` of one service's
 * component and what depends on it. The valid names come from the stack's
 * configuration; the URNs from the stack's state (`pulumi stack export`), so
 * nothing here has to rebuild Pulumi's URN scheme.
 */

/** A deployable unit: a component instance, found in state by its type and name. */
export interface DeployTarget {
    /** What the user types: `ollama`, `agent-host`, `jupyterhub`, … */
    name: string;
    /** The component's type token. */
    type: string;
    /** The component's logical name ends with this (catalog entries, apps); any instance of `type` when undefined. */
    nameSuffix?: string;
    /** False when the stack's config switches it off. */
    enabled: boolean;
    /** Where it is configured, for messages. */
    configKey: string;
}

/** Built-in services (`picluster:services.<key>`) and their component types. */
export const SERVICE_COMPONENTS: Record<string, string> = Object.fromEntries(SERVICES.map((d) => [d.key, d.type]));

type Loose = Record<string, unknown> | undefined;

const asObject = (v: unknown): Loose => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const asList = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(asObject).filter((x): x is Record<string, unknown> => x !== undefined) : []);

/**
 * Every deployable name of a stack, from its validated configuration (the
 * output of `loadConfig`, read loosely so it works whichever components a
 * build has): the built-in services, `agent-host`, `worker-agents`, each
 * catalog entry and each app.
 */
export function deployTargets(config: { services?: unknown; agentHost?: unknown; workerAgents?: unknown; apps?: unknown }): DeployTarget[] {
    const targets: DeployTarget[] = [];
    const services = asObject(config.services);
    for (const [key, type] of Object.entries(SERVICE_COMPONENTS)) {
        const spec = asObject(services?.[key]);
        // services.storage is on by its kind (longhorn), not by `enabled`.
        const enabled = key === "storage" ? spec?.kind === "longhorn" : spec?.enabled !== false;
        if (spec) targets.push({ name: key, type, enabled, configKey: `services.${key}` });
    }
    const agentHost = asObject(config.agentHost);
    if (agentHost) targets.push({ name: "agent-host", type: "picluster:agents:AgentHostPool", enabled: agentHost.enabled === true, configKey: "agentHost" });
    const workerAgents = asObject(config.workerAgents);
    if (workerAgents) targets.push({ name: "worker-agents", type: "picluster:agents:WorkerAgents", enabled: workerAgents.enabled === true, configKey: "workerAgents" });
    asList(services?.catalog).forEach((entry, i) => {
        if (typeof entry.name !== "string") return;
        targets.push({
            name: entry.name,
            type: "picluster:platform:CatalogRelease",
            nameSuffix: `-catalog-${entry.name}`,
            enabled: entry.enabled !== false,
            configKey: `services.catalog[${i}]`,
        });
    });
    asList(config.apps).forEach((app, i) => {
        if (typeof app.name !== "string") return;
        targets.push({ name: app.name, type: "picluster:platform:App", nameSuffix: `-app-${app.name}`, enabled: app.enabled !== false, configKey: `apps[${i}]` });
    });
    return targets;
}

/** The qualified name that is always unambiguous: `catalog/<name>`, `app/<name>`, or the plain name. */
export function qualifiedName(t: DeployTarget): string {
    if (t.type === "picluster:platform:CatalogRelease") return `catalog/${t.name}`;
    if (t.type === "picluster:platform:App") return `app/${t.name}`;
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

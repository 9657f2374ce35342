import { k8sName, metadataOf, obj } from "./k8s";
import type { ResourceView } from "./types";

/**
 * Annotation a Kubernetes resource carries to be exempt from a rule, with the
 * reason: `"<rule>: <reason>"`; several exemptions are separated by `;` or newlines.
 * Resources without metadata (Helm releases, commands) use the static list instead.
 */
export const EXEMPT_ANNOTATION = "picluster.io/policy-exempt";

/** An exemption kept in policy/exemptions.ts: one rule, one resource, one reason. */
export interface Exemption {
    rule: string;
    /** Pulumi type token, e.g. `kubernetes:core/v1:Namespace`. */
    type: string;
    /** The logical (Pulumi) name, or the Kubernetes metadata.name. */
    name: string;
    /** Only for namespaced resources: the metadata.namespace it must be in. */
    namespace?: string;
    reason: string;
}

/** Parses the annotation's value into rule → reason. Entries without a reason are ignored (and reported by `annotationProblems`). */
export function parseExemptAnnotation(value: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const part of value.split(/[;\n]/)) {
        const m = /^\s*([a-z0-9-]+)\s*:\s*(.*\S)\s*$/.exec(part);
        if (m) out.set(m[1], m[2]);
    }
    return out;
}

/** Annotation entries that cannot count as exemptions (no rule, unknown rule, or no reason). */
export function annotationProblems(value: string, knownRules: ReadonlySet<string>): string[] {
    return value
        .split(/[;\n]/)
        .filter((p) => p.trim() !== "")
        .flatMap((part) => {
            const m = /^\s*([a-z0-9-]+)\s*:\s*(.*\S)?\s*$/.exec(part);
            if (!m) return [`"${part.trim()}" is not "<rule>: <reason>"`];
            if (!knownRules.has(m[1])) return [`"${m[1]}" is not a rule of this pack`];
            if (!m[2]) return [`the exemption from "${m[1]}" gives no reason`];
            return [];
        });
}

/** Why `resource` is exempt from `rule`, or undefined if it is not. */
export function exemptionFor(rule: string, resource: ResourceView, list: readonly Exemption[]): string | undefined {
    const annotations = obj(metadataOf(resource).annotations);
    const value = annotations?.[EXEMPT_ANNOTATION];
    if (typeof value === "string") {
        const reason = parseExemptAnnotation(value).get(rule);
        if (reason) return reason;
    }
    const name = k8sName(resource);
    const ns = metadataOf(resource).namespace;
    const hit = list.find(
        (e) =>
            e.rule === rule &&
            e.type === resource.type &&
            (e.name === resource.name || e.name === name) &&
            (e.namespace === undefined || e.namespace === ns),
    );
    return hit?.reason;
}

/** Problems with the static list itself: unknown rules, empty reasons. */
export function exemptionListProblems(list: readonly Exemption[], knownRules: ReadonlySet<string>): string[] {
    return list.flatMap((e) => [
        ...(knownRules.has(e.rule) ? [] : [`exemption for ${e.type} "${e.name}" names unknown rule "${e.rule}"`]),
        ...(e.reason.trim().length >= 10 ? [] : [`exemption from "${e.rule}" for ${e.type} "${e.name}" needs a real reason`]),
    ]);
}

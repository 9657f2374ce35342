import { HELM_CHART_V4, HELM_RELEASE, obj } from "../core/k8s";
import type { ResourceRule } from "../core/types";

/** Value keys that hold a credential. A bare `key` is left out: tolerations and selectors use it. */
export const SECRET_KEY = /pass(word|wd|phrase)|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|client[-_]?key|credential|cookie|dsn$|connection[-_]?string|mongo[-_]?ur[il]|database[-_]?url/i;

/**
 * Keys that name where a credential lives instead of holding it: `existingSecret`,
 * `passwordSecretName`, `secretKeyRef`, `userKey`/`passwordKey` (the key inside that Secret),
 * `backupTargetCredentialSecret` (Longhorn: the name of the Secret with the credentials).
 */
export const REFERENCE_KEY = /existing|secret[-_]?name$|secret[-_]?ref$|key[-_]?ref$|from[-_]?secret$|(password|passwd|token|user(name)?)[-_]?key$|credentials?[-_]?secret$/i;

/** Values a chart treats as "not set". */
function isEmptyValue(v: string): boolean {
    return v.trim() === "";
}

/** Dotted paths of string values under credential-like keys, skipping references. */
export function inlineCredentials(values: unknown, path = "values"): string[] {
    const o = obj(values);
    if (Array.isArray(values)) return values.flatMap((x, i) => inlineCredentials(x, `${path}[${i}]`));
    if (!o) return [];
    return Object.entries(o).flatMap(([k, v]) => {
        const p = `${path}.${k}`;
        if (typeof v === "string") return SECRET_KEY.test(k) && !REFERENCE_KEY.test(k) && !isEmptyValue(v) ? [p] : [];
        return inlineCredentials(v, p);
    });
}

export const helmNoInlineCredentials: ResourceRule = {
    scope: "resource",
    name: "helm-no-inline-credentials",
    description:
        "No Helm value whose key looks like a password, token, secret or key is given inline; charts get credentials through a Kubernetes Secret they reference (existingSecret, passwordSecret.name, …).",
    reason: "Helm values end up in the release record (`helm get values`, a Secret every chart upgrade rewrites) and in the Pulumi diff; CrossGuard cannot tell a Pulumi secret from plain text, so the pack requires the value to be absent and referenced.",
    anchor: "Checkov CKV_SECRET_10 (secret keyword); Polaris sensitiveConfigmapContent/sensitiveContainerEnvVar in spirit",
    enforcementLevel: "mandatory",
    appliesTo: (r) => r.type === HELM_RELEASE || r.type === HELM_CHART_V4,
    validate(r) {
        if (r.type !== HELM_RELEASE && r.type !== HELM_CHART_V4) return [];
        return inlineCredentials(r.props.values).map(
            (p) => `${p} holds a credential inline; put it in a Kubernetes Secret and point the chart at it (existingSecret or the chart's equivalent)`,
        );
    },
};

import type { PodSecurityLevel } from "../../config/podSecurity";

/**
 * The Pod Security Standards version namespaces enforce: pinned (not `latest`)
 * so a k3s upgrade never tightens admission behind the user's back; bump it
 * deliberately with the cluster's minor version.
 */
export const POD_SECURITY_VERSION = "v1.33";

/**
 * Pod Security admission labels: enforce the given level, and audit/warn at
 * `restricted` so anything looser than ideal still shows up in events.
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    };
}

/** The recommended app.kubernetes.io labels for something picluster manages. */
export function standardLabels(name: string, component?: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": name,
        ...(component ? { "app.kubernetes.io/component": component } : {}),
        "app.kubernetes.io/part-of": "picluster",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Annotation that tells the Kubernetes provider not to wait for readiness (e2e without kubelets). */
export function skipAwaitAnnotations(skipAwait: boolean): Record<string, string> {
    return skipAwait ? { "pulumi.com/skipAwait": "true" } : {};
}

import type * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** Pod-level securityContext meeting PSS `restricted`: non-root uid/gid and the runtime's seccomp profile. */
export function restrictedPodSecurityContext(uid: number, gid = uid): PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level securityContext meeting PSS `restricted`, repeated per container so it survives pod-level edits. */
export function restrictedContainerSecurityContext(uid: number, readOnlyRootFilesystem: boolean, gid = uid): SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Egress to the cluster DNS (CoreDNS in kube-system) on port 53, UDP and TCP. */
export function dnsEgressRule(): NetworkPolicyEgressRule {
    return {
        to: [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
        ],
        ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ],
    };
}


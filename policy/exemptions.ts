import type { Exemption } from "./core/exemptions";

/**
 * Every standing exemption, each for one rule on one resource, with its
 * reason. Kubernetes resources may instead carry the annotation
 * `picluster.io/policy-exempt: "<rule>: <reason>"` (see core/exemptions.ts);
 * resources without metadata (Helm releases, commands) can only be listed here.
 * Keep this list short: every line is a hole in the fence.
 */
export const exemptions: readonly Exemption[] = [
    {
        rule: "namespace-pod-security",
        type: "kubernetes:core/v1:Namespace",
        name: "monitoring",
        reason:
            "kube-prometheus-stack's prometheus-node-exporter DaemonSet (inside the Helm release) needs hostNetwork, hostPID and hostPath mounts of /proc and /sys to report node metrics; Pod Security would refuse it under baseline. audit/warn stay at restricted.",
    },
    {
        rule: "namespace-pod-security",
        type: "kubernetes:core/v1:Namespace",
        name: "nvidia-device-plugin",
        reason:
            "the NVIDIA device plugin (Helm release, GPU nodes only) must mount the kubelet's /var/lib/kubelet/device-plugins host path to register nvidia.com/gpu and runs as root to create its socket there; baseline refuses host paths. Everything else is as tight as the plugin allows: no privileged container (no MIG, no CPU-manager compatibility), no privilege escalation, all capabilities dropped, seccomp RuntimeDefault.",
    },
    {
        rule: "namespace-pod-security",
        type: "kubernetes:core/v1:Namespace",
        name: "longhorn-system",
        reason:
            "Longhorn (services.storage.kind longhorn only): longhorn-manager and the instance managers run privileged with host mounts (/dev, /proc, the host's data path) and enter the host's namespaces to run iscsiadm; they are the storage driver. audit/warn stay at restricted.",
    },
    {
        rule: "namespace-pod-security",
        type: "kubernetes:core/v1:Namespace",
        name: "metallb-system",
        reason:
            "MetalLB (network.loadBalancer only): its speaker DaemonSet answers ARP for the pool's addresses from the host network with NET_RAW, as root; baseline refuses host networking. The controller runs as 65534 with its chart's defaults.",
    },
    {
        rule: "helm-no-inline-credentials",
        type: "kubernetes:helm.sh/v3:Release",
        name: "platform-catalog-jupyterhub",
        reason:
            "the jupyterhub catalog preset's DummyAuthenticator takes its shared password only from hub.config values; the platform generates it with random.RandomPassword and passes it as a pulumi.secret (test/unit/policy/stacks.test.ts checks every exempted value is a secret envelope). Better: hub.extraEnv from a Secret + hub.extraConfig reading the env var.",
    },
];

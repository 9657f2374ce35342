/*
 * What the chart layer lets pass, per chart, each with its reason. Every
 * line is a hole in the fence: prefer fixing values (docs/services.md lists
 * the fixes) and keep this list short.
 */

/** One of the pack's workload rules, waived for objects of one chart. */
export interface ChartExemption {
    chart: string;
    rule: string;
    /** `<Kind>/<name>`; `*` matches any run of characters (release names differ per stack). */
    object: string;
    reason: string;
}

export const chartExemptions: readonly ChartExemption[] = [
    {
        chart: "cert-manager",
        rule: "probes",
        object: "Deployment/*",
        reason: "v1.21.1's chart has no readinessProbe values for the controller (only a liveness probe on its healthz port) and no probes at all for the cainjector; both are leader-elected workers serving no traffic, whose failures the controller's liveness probe and the webhook's own probes cover",
    },
    {
        chart: "cloudnative-pg",
        rule: "probes",
        object: "Deployment/*",
        reason: "the operator chart writes the same /readyz probe for readiness and liveness; its values set only initialDelaySeconds, so liveness cannot be made more lenient",
    },
    {
        chart: "headlamp",
        rule: "probes",
        object: "Deployment/*",
        reason: "the chart hard-codes identical HTTP probes on / for readiness and liveness; a stateless UI that restarts in seconds",
    },
    {
        chart: "kube-prometheus-stack",
        rule: "probes",
        object: "Deployment/*-grafana",
        reason: "Grafana's k8s-sidecar containers (dashboards, datasources) only copy labelled ConfigMaps into Grafana's directories; the chart leaves their probes empty and a probe would have to guess a health port of the image; the grafana container itself has distinct probes",
    },
    {
        chart: "longhorn",
        rule: "non-root",
        object: "*",
        reason: "Longhorn's manager, instance managers and driver deployer run as root by design (privileged, host mounts, iscsiadm through the host's namespaces; its hook Jobs call the manager's API as the same image); longhorn-system enforces privileged",
    },
    {
        chart: "longhorn",
        rule: "container-resources",
        object: "*",
        reason: "the 1.12.1 chart has resources values for longhorn-manager only (set by the program); the manager's image pre-pull sidecar, the driver deployer, the UI and the upgrade/uninstall hook Jobs take none; the capacity check counts the manager and each node's instance-manager CPU share",
    },
    {
        chart: "longhorn",
        rule: "probes",
        object: "*",
        reason: "the chart gives longhorn-manager a readiness probe only and the driver deployer, the UI and the manager's pre-pull sidecar none, with no values to add them",
    },
    {
        chart: "metallb",
        rule: "non-root",
        object: "DaemonSet/*-speaker",
        reason: "the speaker answers ARP for the pool's addresses from the host network with NET_RAW, a capability a non-root process only gets through ambient capabilities, which Kubernetes cannot grant; the chart runs it as root (its controller runs as 65534), and metallb-system enforces privileged",
    },
    {
        chart: "minio",
        rule: "image-pinned",
        object: "*",
        reason: "MinIO publishes each release under an exact RELEASE.<UTC timestamp> tag (quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z), immutable but not major.minor; the minio preset pins the tags the 5.4.0 chart ships",
    },
    {
        chart: "minio",
        rule: "probes",
        object: "Deployment/*",
        reason: "the 5.4.0 chart (the last one published) defines no probes and has no values for them",
    },
    {
        chart: "ollama",
        rule: "non-root",
        object: "Deployment/*",
        reason: "the ollama/ollama image runs as root and keeps models under /root/.ollama; the ai-services namespace enforces baseline, which allows it",
    },
];

/** A values key the program sets on purpose although the chart version neither declares nor reads it. */
export interface KeyAllowance {
    chart: string;
    /** Dotted key path as the ineffective-key check reports it. */
    key: string;
    reason: string;
}

export const allowedKeys: readonly KeyAllowance[] = [];

/** Whether `<Kind>/<name>` matches an exemption's object pattern. */
export function objectMatches(pattern: string, object: string): boolean {
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(object);
}

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

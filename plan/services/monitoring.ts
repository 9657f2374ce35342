import { credentialCommand } from "../ingress/names";
import type { MonitoringSpec, ServicesSpec } from "../../config/schema/services";
import { defineServicePlanner } from "./service";

export const MONITORING_NAMESPACE = "monitoring";

/**
 * Requests of the parts that are not configurable per stack (operator,
 * kube-state-metrics, node-exporter, alertmanager): small but real, and
 * counted by the capacity check.
 */
export const MONITORING_FIXED_RESOURCES = {
    operator: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "300m", memory: "256Mi" } },
    kubeStateMetrics: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "192Mi" } },
    nodeExporter: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    alertmanager: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    /** Each of Grafana's dashboard/datasource sidecars (k8s-sidecar). */
    grafanaSidecar: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
    /** The operator's admission-webhook certificate Jobs (create, patch). */
    webhookJobs: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    /** prometheus-config-reloader, the operator's sidecar in the Prometheus (and Alertmanager) pod. */
    configReloader: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    /** The chart's CRD upgrade Job (a pre-install/upgrade/rollback hook: kubectl apply of the chart's CRDs). */
    crdUpgradeJob: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
};

/**
 * kube-prometheus-stack's rule groups that hold only alerts (the chart's
 * templates/prometheus/rules-1.14, 88.5.3): on with a receiver, off without
 * one, so no alert fires into nothing. The recording groups stay on for
 * the dashboards. k3s's missing components' groups are off either way.
 */
export const ALERTING_RULE_GROUPS = [
    "alertmanager",
    "configReloaders",
    "general",
    "kubeApiserverSlos",
    "kubeStateMetrics",
    "kubernetesApps",
    "kubernetesResources",
    "kubernetesStorage",
    "kubernetesSystem",
    "network",
    "nodeExporterAlerting",
    "prometheus",
    "prometheusOperator",
] as const;

/** Whether alerts reach someone: a webhook or mail receiver is configured. */
export function alertsHaveReceiver(spec: Pick<MonitoringSpec, "alerts">): boolean {
    return spec.alerts.webhook !== undefined || spec.alerts.email !== undefined;
}

/** The warning for monitoring without a receiver: what is off and how to turn alerts on. */
export function alertWarnings(services: Pick<ServicesSpec, "monitoring" | "rocketchat">): string[] {
    if (!services.monitoring.enabled || alertsHaveReceiver(services.monitoring)) return [];
    const how = services.rocketchat.enabled
        ? "create an incoming webhook in Rocket.Chat (docs/services.md has its script) and set services.monitoring.alerts.webhook.urlKey to the secret key holding its URL"
        : "set services.monitoring.alerts.webhook.urlKey or alerts.email";
    return [`picluster:services.monitoring.alerts: no receiver, so Alertmanager and the alerting rules are off (recording rules and dashboards stay); to get alerts, ${how}`];
}

/** kube-prometheus-stack: Prometheus, Grafana, the operator, exporters. */
export const monitoringPlanner = defineServicePlanner({
    key: "monitoring",
    charts: (spec) => [{ chart: "kube-prometheus-stack", repo: spec.repo, version: spec.version }],
    // node-exporter needs the host's namespaces.
    namespaces: [{ name: MONITORING_NAMESPACE, podSecurity: "privileged" }],
    validate: () => [],
    objects: () => [
        { kind: "HelmRelease", namespace: MONITORING_NAMESPACE, name: "monitoring" },
        { kind: "Service", namespace: MONITORING_NAMESPACE, name: "monitoring-grafana" },
    ],
    // The chart's Services (`<release>-kube-prometheus-*` for the release "monitoring"); Prometheus and Alertmanager have no login.
    webUIs: (spec) => [
        { name: "grafana", namespace: MONITORING_NAMESPACE, service: "monitoring-grafana", port: 80, login: `user admin; password: ${credentialCommand("grafana/admin")}` },
        { name: "prometheus", namespace: MONITORING_NAMESPACE, service: "monitoring-kube-prometheus-prometheus", port: 9090 },
        ...(spec.alertmanager ? [{ name: "alertmanager", namespace: MONITORING_NAMESPACE, service: "monitoring-kube-prometheus-alertmanager", port: 9093 }] : []),
    ],
    demands(spec) {
        const place = { arch: spec.placement.arch, nodeSelector: spec.placement.nodeSelector };
        const fixed = MONITORING_FIXED_RESOURCES;
        return [
            { name: "monitoring/prometheus", ...spec.prometheusResources.requests, limitMemory: spec.prometheusResources.limits.memory, limitKey: "services.monitoring.prometheusResources.limits.memory", replicas: 1, storage: spec.storage.size, storageClass: spec.storage.storageClass, ...place },
            { name: "monitoring/grafana", ...spec.grafanaResources.requests, limitMemory: spec.grafanaResources.limits.memory, limitKey: "services.monitoring.grafanaResources.limits.memory", replicas: 1, ...place },
            // Grafana's two k8s-sidecar containers (dashboards, datasources), in its pod.
            ...["dashboards", "datasources"].map((sidecar) => ({ name: `monitoring/grafana-sc-${sidecar}`, ...fixed.grafanaSidecar.requests, replicas: 1, ...place })),
            { name: "monitoring/operator", ...fixed.operator.requests, replicas: 1, ...place },
            { name: "monitoring/prometheus-config-reloader", ...fixed.configReloader.requests, replicas: 1, ...place },
            { name: "monitoring/kube-state-metrics", ...fixed.kubeStateMetrics.requests, replicas: 1, ...place },
            ...(spec.alertmanager
                ? [
                      { name: "monitoring/alertmanager", ...fixed.alertmanager.requests, replicas: 1, ...place },
                      { name: "monitoring/alertmanager-config-reloader", ...fixed.configReloader.requests, replicas: 1, ...place },
                  ]
                : []),
            // Like the chart values: every node, tainted or not.
            { name: "monitoring/node-exporter", ...fixed.nodeExporter.requests, replicas: 1, perNode: true, tolerations: [{ operator: "Exists" as const }] },
        ];
    },
});

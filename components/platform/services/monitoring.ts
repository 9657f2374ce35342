import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { MonitoringSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { DASHBOARD_LABEL, PiDashboards } from "./dashboards";
import { HelmService } from "../helmService";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { nodeSelectorFor, resourceValues, type Values } from "../../../plan/values";
import { defineService } from "./service";
import { ALERTING_RULE_GROUPS, MONITORING_FIXED_RESOURCES } from "../../../plan/services/monitoring";

export const MONITORING_RELEASE = "monitoring";
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** The Secret with the alert receiver's URL and password, mounted into Alertmanager (alertmanagerSpec.secrets). */
export const ALERT_RECEIVER_SECRET = "alertmanager-receiver";
/** Pinned for the CRD upgrade Job's init container (the chart's default is busybox:latest). */
export const CRD_JOB_BUSYBOX_TAG = "1.37.0";

/**
 * Alertmanager's routing: every alert to the one receiver, grouped by name
 * and namespace; the chart's always-firing Watchdog and InfoInhibitor to
 * nowhere. The receiver reads its URL and password from files of the
 * mounted Secret (url_file, auth_password_file; Alertmanager v0.34), so no
 * secret is in the Helm values.
 */
export function alertmanagerConfig(alerts: MonitoringSpec["alerts"]): Values {
    const dir = `/etc/alertmanager/secrets/${ALERT_RECEIVER_SECRET}`;
    const email = alerts.email;
    return {
        route: {
            receiver: "picluster",
            group_by: ["alertname", "namespace"],
            routes: [
                { receiver: "null", matchers: ['alertname = "Watchdog"'] },
                { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
            ],
        },
        receivers: [
            { name: "null" },
            {
                name: "picluster",
                ...(alerts.webhook ? { webhook_configs: [{ url_file: `${dir}/url`, send_resolved: true }] } : {}),
                ...(email
                    ? {
                          email_configs: [
                              {
                                  to: email.to,
                                  from: email.from,
                                  smarthost: email.smarthost,
                                  require_tls: email.requireTls,
                                  send_resolved: true,
                                  ...(email.username ? { auth_username: email.username } : {}),
                                  ...(email.passwordKey ? { auth_password_file: `${dir}/password` } : {}),
                              },
                          ],
                      }
                    : {}),
            },
        ],
    };
}

/**
 * Values for kube-prometheus-stack, trimmed for Pis and fixed for k3s:
 * k3s runs controller-manager, scheduler, proxy and etcd inside one binary
 * with no scrapeable endpoints, so those targets (and their default rules,
 * which would alert forever) are off (prometheus-community/helm-charts#1718, #1966).
 */
export function monitoringValues(spec: MonitoringSpec, ctx: { storageClass: string }): Values {
    const nodeSelector = nodeSelectorFor(spec.placement);
    return {
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        kubeEtcd: { enabled: false },
        defaultRules: {
            rules: {
                // Alerts only where a receiver hears them (plan/services/monitoring.ts); recording rules stay.
                ...Object.fromEntries(ALERTING_RULE_GROUPS.map((g) => [g, spec.alertmanager])),
                etcd: false,
                kubeControllerManager: false,
                kubeSchedulerAlerting: false,
                kubeSchedulerRecording: false,
                kubeProxy: false,
                windows: false,
            },
        },
        // Helm installs crds/ once and never upgrades it: the chart's own hook Job applies its CRDs
        // (server-side) before every install, upgrade and rollback, at the chart's version.
        crds: {
            upgradeJob: {
                enabled: true,
                image: { busybox: { tag: CRD_JOB_BUSYBOX_TAG } },
                resources: MONITORING_FIXED_RESOURCES.crdUpgradeJob,
                nodeSelector,
            },
        },
        windowsMonitoring: { enabled: false },
        alertmanager: {
            enabled: spec.alertmanager,
            alertmanagerSpec: { nodeSelector, resources: MONITORING_FIXED_RESOURCES.alertmanager, ...(spec.alertmanager ? { secrets: [ALERT_RECEIVER_SECRET] } : {}) },
            ...(spec.alertmanager ? { config: alertmanagerConfig(spec.alerts) } : {}),
        },
        prometheus: {
            prometheusSpec: {
                // A slower scrape halves the write load on SD cards and the CPU cost on Pis.
                scrapeInterval: "60s",
                evaluationInterval: "60s",
                retention: spec.retention,
                retentionSize: spec.retentionSize,
                resources: resourceValues(spec.prometheusResources),
                nodeSelector,
                // Pick up Service/PodMonitors of every release, not only those labelled for this one.
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: {
                            storageClassName: spec.storage.storageClass ?? ctx.storageClass,
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: spec.storage.size } },
                        },
                    },
                },
            },
        },
        prometheusOperator: {
            resources: MONITORING_FIXED_RESOURCES.operator,
            // The reloader sidecar it adds to Prometheus and Alertmanager; the chart leaves it without resources.
            prometheusConfigReloader: { resources: MONITORING_FIXED_RESOURCES.configReloader },
            nodeSelector,
            admissionWebhooks: { patch: { resources: MONITORING_FIXED_RESOURCES.webhookJobs } },
            // Readiness and liveness share /healthz; a busy operator leaves rotation before it is restarted.
            livenessProbe: { failureThreshold: 6 },
        },
        "kube-state-metrics": { resources: MONITORING_FIXED_RESOURCES.kubeStateMetrics, nodeSelector },
        // node-exporter on every node of both architectures, including tainted ones (GPU, control plane).
        "prometheus-node-exporter": {
            resources: MONITORING_FIXED_RESOURCES.nodeExporter,
            nodeSelector: { "kubernetes.io/os": "linux" },
            tolerations: [{ operator: "Exists" }],
            // Readiness and liveness share /; a loaded Pi is taken out of rotation before it is restarted.
            livenessProbe: { failureThreshold: 6 },
        },
        grafana: {
            admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
            resources: resourceValues(spec.grafanaResources),
            nodeSelector,
            persistence: { enabled: false },
            sidecar: {
                resources: MONITORING_FIXED_RESOURCES.grafanaSidecar,
                dashboards: {
                    enabled: true,
                    label: Object.keys(DASHBOARD_LABEL)[0],
                    labelValue: Object.values(DASHBOARD_LABEL)[0],
                    searchNamespace: "ALL",
                },
            },
        },
    };
}

export interface MonitoringArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: MonitoringSpec;
    storageClass: string;
    skipAwait: boolean;
    /** The alert receiver's secrets, read from config by the plan: `url` (webhook), `password` (mail). */
    secrets?: Record<string, pulumi.Output<string>>;
}

/** kube-prometheus-stack with a generated Grafana admin password and the Pi dashboards. */
export class Monitoring extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly grafanaAdminPassword: pulumi.Output<string>;
    readonly endpoints: Record<string, string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Monitoring", name, {}, opts);
        const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 24, special: false }, { parent: this });
        this.grafanaAdminPassword = pulumi.secret(password.result);
        const admin = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: GRAFANA_ADMIN_SECRET, namespace: args.namespace.name, labels: standardLabels("grafana", "credentials") },
                stringData: { "admin-user": "admin", "admin-password": this.grafanaAdminPassword },
            },
            { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
        );
        const receiver = args.spec.alertmanager
            ? [
                  new k8s.core.v1.Secret(
                      `${name}-alert-receiver`,
                      {
                          metadata: { name: ALERT_RECEIVER_SECRET, namespace: args.namespace.name, labels: standardLabels("alertmanager", "credentials") },
                          stringData: Object.fromEntries(Object.entries(args.secrets ?? {}).map(([k, v]) => [k, pulumi.secret(v)])),
                      },
                      { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
                  ),
              ]
            : [];
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: MONITORING_RELEASE,
                chart: { chart: "kube-prometheus-stack", repo: args.spec.repo, version: args.spec.version },
                defaults: monitoringValues(args.spec, { storageClass: args.storageClass }),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                dependsOn: [admin, ...receiver],
            },
            { parent: this },
        );
        if (args.spec.dashboards) new PiDashboards(`${name}-dashboards`, { cluster: args.cluster, namespace: args.namespace }, { parent: this });
        const ns = args.namespace.name;
        // Service names follow the chart's fullname: `<release>-kube-prometheus-stack` is shortened to `<release>-kube-prometheus-*`.
        this.endpoints = {
            prometheus: `${MONITORING_RELEASE}-kube-prometheus-prometheus.${ns}.svc.cluster.local:9090`,
            grafana: `${MONITORING_RELEASE}-grafana.${ns}.svc.cluster.local:80`,
        };
        this.registerOutputs({ endpoints: this.endpoints });
    }
}

/** kube-prometheus-stack as a built-in service: `picluster:services.monitoring`. */
export const monitoringService = defineService({
    key: "monitoring",
    type: "picluster:platform:Monitoring",
    create(name, args, opts) {
        const component = new Monitoring(name, { ...args, namespace: args.namespaces.monitoring }, opts);
        return { component, endpoints: component.endpoints, credentials: { "grafana/admin": component.grafanaAdminPassword }, ready: [component.helm.release], alerting: args.spec.alertmanager };
    },
});

import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { ALERT_RECEIVER_SECRET, monitoringValues } from "../../../components/platform/services/monitoring";
import { clusterValues, operatorValues } from "../../../components/platform/services/postgres";
import { Platform } from "../../../components/platform/platform";
import { resolveCatalogEntry } from "../../../plan/catalog/presets";
import { planPlatform } from "../../../plan/platform";
import { ALERTING_RULE_GROUPS, alertWarnings } from "../../../plan/services/monitoring";
import { servicesSchema } from "../../../config/schema/services";
import { dependencyNames, isSecretEnvelope, plainOccurrences, recorder, registeredResources, resetRegistry, unwrapSecrets, type RegisteredResource } from "../../helpers/mocks";
import { piApps, piNodes, testCluster, testSecrets } from "./fixtures";

type Values = Record<string, any>;
const monitoring = (over: Record<string, unknown> = {}) => servicesSchema.parse({ monitoring: over }).monitoring;
const values = (over: Record<string, unknown> = {}) => monitoringValues(monitoring(over), { storageClass: "local-path" }) as Values;
const WEBHOOK = { webhook: { urlKey: "alertWebhookUrl" } };
const URL_SECRET = "https://chat.example.org/hooks/abc/s3cr3t-token";

describe("alerts that reach someone", () => {
    it("without a receiver: no Alertmanager, no alerting rule group, the recording groups untouched", () => {
        const v = values();
        expect(v.alertmanager.enabled).toBe(false);
        expect(v.alertmanager).not.toHaveProperty("config");
        for (const g of ALERTING_RULE_GROUPS) expect(v.defaultRules.rules[g], g).toBe(false);
        expect(v.defaultRules.rules).not.toHaveProperty("nodeExporterRecording");
        expect(v.defaultRules.rules).not.toHaveProperty("kubePrometheusNodeRecording");
    });

    it("with a webhook: Alertmanager on, every alert to it, the URL read from the mounted Secret, never from the values", () => {
        const v = values({ alerts: WEBHOOK });
        expect(v.alertmanager.enabled).toBe(true);
        expect(v.alertmanager.alertmanagerSpec.secrets).toEqual([ALERT_RECEIVER_SECRET]);
        expect(v.alertmanager.config.route).toMatchObject({ receiver: "picluster", group_by: ["alertname", "namespace"] });
        expect(v.alertmanager.config.route.routes).toContainEqual({ receiver: "null", matchers: ['alertname = "Watchdog"'] });
        const receiver = v.alertmanager.config.receivers.find((r: Values) => r.name === "picluster");
        expect(receiver).toEqual({ name: "picluster", webhook_configs: [{ url_file: `/etc/alertmanager/secrets/${ALERT_RECEIVER_SECRET}/url`, send_resolved: true }] });
        for (const g of ALERTING_RULE_GROUPS) expect(v.defaultRules.rules[g], g).toBe(true);
        // k3s runs no scrapeable etcd, controller-manager, scheduler or proxy: their alerts stay off with a receiver too.
        expect(v.defaultRules.rules).toMatchObject({ etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeProxy: false });
    });

    it("with mail: the relay, the addresses and the password from the mounted Secret", () => {
        const v = values({ alerts: { email: { to: "ops@example.org", from: "picluster@example.org", smarthost: "smtp.example.org:587", username: "picluster", passwordKey: "smtpPassword" } } });
        expect(v.alertmanager.config.receivers[1].email_configs).toEqual([
            { to: "ops@example.org", from: "picluster@example.org", smarthost: "smtp.example.org:587", require_tls: true, send_resolved: true, auth_username: "picluster", auth_password_file: `/etc/alertmanager/secrets/${ALERT_RECEIVER_SECRET}/password` },
        ]);
    });

    it("refuses Alertmanager with no receiver, and a receiver with Alertmanager off", () => {
        const on = servicesSchema.safeParse({ monitoring: { alertmanager: true } });
        expect(on.success).toBe(false);
        expect(JSON.stringify(on.error?.issues)).toMatch(/but no receiver is configured, so every alert would go nowhere/);
        const off = servicesSchema.safeParse({ monitoring: { alertmanager: false, alerts: WEBHOOK } });
        expect(JSON.stringify(off.error?.issues)).toMatch(/while services.monitoring.alerts names a receiver/);
    });

    it("warns, naming Rocket.Chat's incoming webhook when it runs, that no alert goes out", () => {
        const s = servicesSchema.parse({});
        expect(alertWarnings(s)).toEqual([expect.stringMatching(/^picluster:services\.monitoring\.alerts: no receiver, so Alertmanager and the alerting rules are off .*create an incoming webhook in Rocket\.Chat/)]);
        expect(alertWarnings(servicesSchema.parse({ rocketchat: { enabled: false } }))[0]).toMatch(/set services\.monitoring\.alerts\.webhook\.urlKey or alerts\.email$/);
        expect(alertWarnings(servicesSchema.parse({ monitoring: { alerts: WEBHOOK } }))).toEqual([]);
        expect(alertWarnings(servicesSchema.parse({ monitoring: { enabled: false } }))).toEqual([]);
    });

    it("names the key of a receiver secret that is not set", () => {
        const problems: string[] = [];
        planPlatform({ services: servicesSchema.parse({ monitoring: { alerts: WEBHOOK } }), apps: [], nodes: [] }, () => ({ problem: "no secret picluster:alertWebhookUrl is set" }), problems);
        expect(problems).toEqual(['picluster:services.monitoring.alerts.webhook.urlKey = "alertWebhookUrl": no secret picluster:alertWebhookUrl is set']);
    });
});

describe("what Prometheus scrapes and the operator's own parts", () => {
    it("gives the config reloader resources, applies the chart's CRDs on every install and upgrade, and adds no scrape of its own", () => {
        const v = values();
        expect(v.prometheusOperator.prometheusConfigReloader.resources).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
        expect(v.crds.upgradeJob).toMatchObject({ enabled: true, image: { busybox: { tag: "1.37.0" } }, resources: { limits: { memory: "256Mi" } } });
        // Exporters are found only through their own ServiceMonitor/PodMonitor: one scrape each.
        expect(v.prometheus.prometheusSpec).not.toHaveProperty("additionalScrapeConfigs");
        expect(v.prometheus).not.toHaveProperty("additionalServiceMonitors");
        expect(v.prometheus).not.toHaveProperty("additionalPodMonitors");
    });

    it("monitors CloudNativePG's operator and instances with monitoring, and adds its alert rules only where alerts reach someone", () => {
        const pg = servicesSchema.parse({}).postgres;
        expect((operatorValues(pg) as Values).monitoring).toEqual({ podMonitorEnabled: false });
        expect((operatorValues(pg, { alerting: false }) as Values).monitoring).toEqual({ podMonitorEnabled: true });
        expect((clusterValues(pg, [], "local-path") as Values).cluster.monitoring).toMatchObject({ enabled: false });
        expect((clusterValues(pg, [], "local-path", undefined, { alerting: false }) as Values).cluster.monitoring).toEqual({ enabled: true, podMonitor: { enabled: true }, prometheusRule: { enabled: false } });
        expect((clusterValues(pg, [], "local-path", undefined, { alerting: true }) as Values).cluster.monitoring.prometheusRule).toEqual({ enabled: true });
    });

    it("scrapes the RabbitMQ preset through its ServiceMonitor only when kube-prometheus-stack runs", () => {
        const entry = servicesSchema.parse({ catalog: [{ name: "rabbitmq", preset: "rabbitmq" }] }).catalog[0];
        expect((resolveCatalogEntry(entry, "local-path", { monitoring: true }).defaults as Values).metrics).toEqual({ enabled: true, serviceMonitor: { enabled: true } });
        expect((resolveCatalogEntry(entry, "local-path").defaults as Values).metrics.serviceMonitor.enabled).toBe(false);
    });
});

describe("the pi platform under mocks, with a webhook receiver", () => {
    beforeEach(() => resetRegistry());

    async function build() {
        const services = servicesSchema.parse({ postgres: { databases: [{ name: "analytics" }] }, catalog: [{ name: "rabbitmq", preset: "rabbitmq" }], monitoring: { alerts: WEBHOOK } });
        const problems: string[] = [];
        const plan = planPlatform({ services, apps: piApps(), nodes: piNodes() }, (key) => (key === "alertWebhookUrl" ? { value: pulumi.secret(URL_SECRET) } : testSecrets(key)), problems);
        expect(problems).toEqual([]);
        const rec = recorder();
        new Platform("mon", { cluster: testCluster(piNodes()), plan }, { transformations: [rec.transform] });
        return { rs: await registeredResources(), rec };
    }
    const named = (rs: RegisteredResource[], type: string, name: string) => rs.find((r) => r.type === type && (r.inputs.metadata as Values | undefined)?.name === name);

    it("keeps the webhook URL secret in the receiver Secret and out of every plain input", async () => {
        const { rs } = await build();
        const secret = named(rs, "kubernetes:core/v1:Secret", ALERT_RECEIVER_SECRET);
        const data = secret?.inputs.stringData as Values;
        expect(isSecretEnvelope(data) || isSecretEnvelope(data.url)).toBe(true);
        expect((unwrapSecrets(secret?.inputs.stringData) as Values).url).toBe(URL_SECRET);
        expect(rs.flatMap((r) => plainOccurrences(r.inputs, "s3cr3t-token").map((p) => `${r.name}: ${p}`))).toEqual([]);
    });

    it("installs kube-prometheus-stack after the receiver Secret, and CNPG's operator and the RabbitMQ preset after kube-prometheus-stack", async () => {
        const { rec } = await build();
        const release = (name: string) => rec.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === name)!;
        expect(await dependencyNames(release("mon-monitoring").opts)).toContain("mon-monitoring-alert-receiver");
        expect(await dependencyNames(release("mon-postgres-operator").opts)).toContain("mon-monitoring");
        expect(await dependencyNames(release("mon-catalog-rabbitmq").opts)).toContain("mon-monitoring");
    });
});

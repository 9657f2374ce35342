import type { NodeSpec } from "../../stacks/schema/cluster";
import type { AppsSpec } from "../../stacks/schema/apps";
import type { ServicesSpec } from "../../stacks/schema/services";
import type { WorkloadDemand } from "./capacity";
import { resolveCatalogEntry } from "./catalog";
import { MONITORING_FIXED_RESOURCES } from "./monitoring";
import { rocketchatNodeSelector } from "./rocketchat";

/** What a catalog chart without a preset or `requests` is assumed to ask for. */
export const UNKNOWN_CHART_REQUESTS = { cpu: "100m", memory: "128Mi" };

const withoutArch = (sel: Record<string, string>) => Object.fromEntries(Object.entries(sel).filter(([k]) => k !== "kubernetes.io/arch"));

/**
 * The requests of every enabled platform service and app, in the form the
 * capacity check takes. Mirrors the values the components set, so a change
 * in a service's resources changes both.
 */
export function platformDemands(services: ServicesSpec, apps: AppsSpec, nodes: Pick<NodeSpec, "name" | "gpu">[] = []): WorkloadDemand[] {
    const out: WorkloadDemand[] = [];
    const { ollama, postgres, rocketchat, monitoring } = services;
    if (ollama.enabled) {
        const gpuNode = nodes.find((n) => n.gpu);
        out.push({
            name: "ollama",
            ...ollama.resources.requests,
            replicas: 1,
            arch: ollama.gpu ? "amd64" : ollama.placement.arch,
            nodeSelector: { ...ollama.placement.nodeSelector, ...(ollama.gpu && gpuNode ? { "kubernetes.io/hostname": gpuNode.name } : {}) },
            gpu: ollama.gpu,
            gpus: ollama.gpu ? ollama.gpuCount : 0,
        });
    }
    if (postgres.enabled) {
        const place = { arch: postgres.placement.arch, nodeSelector: postgres.placement.nodeSelector };
        out.push({ name: "postgres/cnpg-operator", ...postgres.operatorResources.requests, replicas: 1, ...place });
        out.push({ name: "postgres/instance", ...postgres.resources.requests, replicas: postgres.instances, ...place });
    }
    if (rocketchat.enabled) {
        const nodeSelector = withoutArch(rocketchatNodeSelector(rocketchat));
        out.push({ name: "rocketchat", ...rocketchat.resources.requests, replicas: 1, arch: "amd64", nodeSelector });
        out.push({ name: "rocketchat/mongodb", ...rocketchat.mongodbResources.requests, replicas: 1, arch: "amd64", nodeSelector });
    }
    if (monitoring.enabled) {
        const place = { arch: monitoring.placement.arch, nodeSelector: monitoring.placement.nodeSelector };
        out.push({ name: "monitoring/prometheus", ...monitoring.prometheusResources.requests, replicas: 1, ...place });
        out.push({ name: "monitoring/grafana", ...monitoring.grafanaResources.requests, replicas: 1, ...place });
        out.push({ name: "monitoring/operator", ...MONITORING_FIXED_RESOURCES.operator.requests, replicas: 1, ...place });
        out.push({ name: "monitoring/kube-state-metrics", ...MONITORING_FIXED_RESOURCES.kubeStateMetrics.requests, replicas: 1, ...place });
        if (monitoring.alertmanager) out.push({ name: "monitoring/alertmanager", ...MONITORING_FIXED_RESOURCES.alertmanager.requests, replicas: 1, ...place });
        out.push({ name: "monitoring/node-exporter", ...MONITORING_FIXED_RESOURCES.nodeExporter.requests, replicas: 1, perNode: true });
    }
    for (const entry of services.catalog.filter((c) => c.enabled)) {
        const r = resolveCatalogEntry(entry, services.storageClass);
        out.push({ name: `catalog/${entry.name}`, ...(r.requests ?? UNKNOWN_CHART_REQUESTS), replicas: 1, arch: entry.arch, nodeSelector: entry.nodeSelector });
    }
    for (const app of apps.filter((a) => a.enabled)) {
        out.push({ name: `apps/${app.name}`, ...app.resources.requests, replicas: app.replicas, arch: app.arch, nodeSelector: app.nodeSelector });
    }
    return out;
}

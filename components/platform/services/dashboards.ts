import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";

/** The label kube-prometheus-stack's Grafana sidecar watches for dashboards. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" };

// node-exporter series carry `instance` (ip:port); node_uname_info maps it to the node name.
const byNode = (expr: string) => `(${expr}) * on(instance) group_left(nodename) node_uname_info{nodename=~"$node"}`;

interface PanelSpec {
    title: string;
    expr: string;
    unit: string;
    max?: number;
    thresholds: { color: string; value: number | null }[];
}

function timeseries(id: number, p: PanelSpec, gridPos: { x: number; y: number }) {
    return {
        id,
        type: "timeseries",
        title: p.title,
        datasource: { type: "prometheus", uid: "${datasource}" },
        gridPos: { h: 8, w: 12, ...gridPos },
        fieldConfig: {
            defaults: {
                unit: p.unit,
                min: 0,
                ...(p.max !== undefined ? { max: p.max } : {}),
                thresholds: { mode: "absolute", steps: p.thresholds },
                custom: { thresholdsStyle: { mode: "line" } },
            },
            overrides: [],
        },
        options: { legend: { displayMode: "table", placement: "right", calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi" } },
        targets: [{ refId: "A", expr: p.expr, legendFormat: "{{nodename}}" }],
    };
}

/**
 * A Grafana dashboard for Pi-class nodes: SoC temperature (Pi 5 throttles at
 * 85 °C), CPU, memory and root-disk use per node, from node-exporter.
 */
export function piNodesDashboard(): Record<string, unknown> {
    const panels: PanelSpec[] = [
        {
            title: "SoC temperature per node",
            expr: byNode("max by (instance) (node_thermal_zone_temp)"),
            unit: "celsius",
            thresholds: [
                { color: "green", value: null },
                { color: "orange", value: 75 },
                { color: "red", value: 85 },
            ],
        },
        {
            title: "CPU busy per node",
            expr: byNode('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))'),
            unit: "percentunit",
            max: 1,
            thresholds: [
                { color: "green", value: null },
                { color: "red", value: 0.9 },
            ],
        },
        {
            title: "Memory used per node",
            expr: byNode("1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes"),
            unit: "percentunit",
            max: 1,
            thresholds: [
                { color: "green", value: null },
                { color: "red", value: 0.9 },
            ],
        },
        {
            title: "Root filesystem used per node",
            expr: byNode('1 - node_filesystem_avail_bytes{mountpoint="/",fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{mountpoint="/",fstype!~"tmpfs|overlay"}'),
            unit: "percentunit",
            max: 1,
            thresholds: [
                { color: "green", value: null },
                { color: "orange", value: 0.8 },
                { color: "red", value: 0.9 },
            ],
        },
    ];
    return {
        uid: "picluster-pi-nodes",
        title: "picluster / Nodes (temperature, CPU, memory, disk)",
        tags: ["picluster", "raspberry-pi", "nodes"],
        timezone: "browser",
        schemaVersion: 39,
        version: 1,
        refresh: "1m",
        time: { from: "now-6h", to: "now" },
        templating: {
            list: [
                { name: "datasource", type: "datasource", query: "prometheus", current: {}, hide: 0 },
                {
                    name: "node",
                    type: "query",
                    datasource: { type: "prometheus", uid: "${datasource}" },
                    query: { query: "label_values(node_uname_info, nodename)", refId: "node" },
                    definition: "label_values(node_uname_info, nodename)",
                    includeAll: true,
                    multi: true,
                    current: { text: "All", value: "$__all" },
                    refresh: 2,
                },
            ],
        },
        panels: panels.map((p, i) => timeseries(i + 1, p, { x: (i % 2) * 12, y: Math.floor(i / 2) * 8 })),
    };
}

export interface PiDashboardsArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
}

/** The Pi hardware dashboards as ConfigMaps the Grafana sidecar picks up. */
export class PiDashboards extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;

    constructor(name: string, args: PiDashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:PiDashboards", name, {}, opts);
        this.configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: { name: "picluster-pi-nodes-dashboard", namespace: args.namespace.name, labels: { ...standardLabels("grafana", "dashboard"), ...DASHBOARD_LABEL } },
                data: { "picluster-pi-nodes.json": JSON.stringify(piNodesDashboard()) },
            },
            { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
        );
        this.registerOutputs({});
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../../../components/cluster/clusterTarget";
import { nodeCapacities } from "../../../plan/capacity";
import { checkCapacity } from "../../../plan/capacityText";
import { planPlatform, type PlatformPlan } from "../../../plan/platform";
import { ConfigError, type SecretReader } from "../../../config/load";
import { appsSchema, type AppsSpec } from "../../../config/schema/apps";
import { nodeSchema, type NodeSpec } from "../../../config/schema/cluster";
import { servicesSchema, type ServicesSpec } from "../../../config/schema/services";

/** Stands in for "every node is Ready". */
class ClusterReady extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:ClusterReady", name, {});
    }
}

let counter = 0;
/** A fresh ClusterTarget with a uniquely named provider and ready resource. */
export function testCluster(nodes: NodeSpec[]): ClusterTarget & { providerName: string; readyName: string } {
    const n = ++counter;
    const providerName = `k8s-${n}`;
    const readyName = `cluster-ready-${n}`;
    return {
        provider: new k8s.Provider(providerName, { kubeconfig: "fake" }),
        readyResources: [new ClusterReady(readyName)],
        kubeconfig: pulumi.secret("fake"),
        nodes,
        providerName,
        readyName,
    };
}

export const node = (raw: Record<string, unknown>): NodeSpec => nodeSchema.parse({ user: "pi", role: "agent", ...raw });

/** The reference `pi` build: one amd64 box with a GPU + four Pi 5s, no capacity declared (defaults apply). */
export function piNodes(): NodeSpec[] {
    return [
        node({ name: "tower", host: "10.0.0.10", role: "server", arch: "amd64", gpu: true }),
        ...[1, 2, 3, 4].map((i) => node({ name: `pi${i}`, host: `10.0.0.${20 + i}`, arch: "arm64" })),
    ];
}

/** Every service on, the three catalog presets, and the placemyparents app. */
export function piServices(over: Record<string, unknown> = {}): ServicesSpec {
    return servicesSchema.parse({
        ollama: { gpu: true },
        postgres: { databases: [{ name: "analytics" }] },
        catalog: [
            { name: "jupyterhub", preset: "jupyterhub" },
            { name: "rabbitmq", preset: "rabbitmq" },
            { name: "headlamp", preset: "headlamp" },
        ],
        ...over,
    });
}

export function piApps(over: Record<string, unknown>[] = []): AppsSpec {
    return appsSchema.parse([
        {
            name: "placemyparents",
            image: "ghcr.io/example/placemyparents-mcp:1.4.2",
            port: 8080,
            replicas: 3,
            arch: "arm64",
            secrets: { MCP_API_KEY: "placemyparentsApiKey" },
            postgres: { database: "placemyparents" },
            readinessProbe: { httpGet: "/ready" },
            livenessProbe: { httpGet: "/healthz" },
        },
        ...over,
    ]);
}

export const SECRET_CONFIG: Record<string, string> = {
    placemyparentsApiKey: "api-key-from-config-123",
    rabbitmqAdmin: "rabbit-from-config-456",
};

/** The plan's secret reader over a fixed map, refusing unknown keys like the real one. */
export const testSecrets: SecretReader = (key) => {
    const v = SECRET_CONFIG[key];
    if (v === undefined) return { problem: `picluster:${key} is missing; set it with \`pulumi config set --secret ${key} < FILE\`` };
    return { value: pulumi.secret(v) };
};

/** Plans the platform as the program does: every check first (ConfigError), then capacity (CapacityError). */
export function platformPlan(services: ServicesSpec, apps: AppsSpec, nodes: NodeSpec[]): PlatformPlan {
    const problems: string[] = [];
    const plan = planPlatform({ services, apps, nodes }, testSecrets, problems);
    if (problems.length > 0) throw new ConfigError(problems);
    if (nodes.length > 0) checkCapacity(plan.demands, nodeCapacities(nodes, { gpuSharing: services.nvidiaDevicePlugin.gpuSharing }));
    return plan;
}

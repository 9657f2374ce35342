import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AgentHostSpec } from "../../config/schema/agents";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { podSecurityLabels, skipAwaitAnnotations } from "../k8s/labels";
import { isolatedNamespace } from "../k8s/namespace";
import { agentHostDeploymentSpec, agentHostHpaSpec } from "./agentHost/host";
import { GRPC_PORT, HOST_LABELS, HOST_SELECTOR, REDIS_AUTH_SECRET, REDIS_LABELS, REDIS_PORT, REDIS_SELECTOR } from "./agentHost/names";
import { agentHostNetworkPolicies } from "./agentHost/network";
import { redisAuthData, redisConfig, redisDeploymentSpec } from "./agentHost/redis";
import { AGENT_HOST_NAMESPACE } from "../../plan/agentDemand";

export { hpaBehavior, HEALTH_RPC_CHECK } from "./agentHost/host";
export { GRPC_PORT, REDIS_PORT } from "./agentHost/names";
export { redisConfig } from "./agentHost/redis";

/** Arguments of {@link AgentHostPool}. */
export interface AgentHostPoolArgs {
    /** The cluster to deploy into; its provider is passed to every resource. */
    cluster: ClusterTarget;
    /** The validated and planned `picluster:agentHost` config. When `enabled` is false nothing is registered. */
    spec: AgentHostSpec;
    /** Do not wait for pods and endpoints (`services.skipAwait`: an API server without kubelets). */
    skipAwait?: boolean;
}

/**
 * The Rustic AI agent-host pool: gRPC agent hosts backed by a Redis location
 * registry, autoscaled by an HPA with upstream's bounds and behaviour, in a
 * Pod Security `restricted` namespace with default-deny NetworkPolicies.
 * The object specs come from pure builders in `agentHost/`; this only
 * registers them.
 */
export class AgentHostPool extends pulumi.ComponentResource {
    /** In-cluster address of the headless gRPC service, `agent-host.rustic-ai.svc.cluster.local:50051`; undefined when disabled. */
    readonly grpcEndpoint?: pulumi.Output<string>;
    /** The generated Redis password (secret); undefined when disabled. */
    readonly redisPassword?: pulumi.Output<string>;
    /** The namespace, when enabled. */
    readonly namespace?: k8s.core.v1.Namespace;

    constructor(name: string, args: AgentHostPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:agents:AgentHostPool", name, {}, opts);
        const { spec, cluster } = args;
        if (!spec.enabled) {
            this.registerOutputs({});
            return;
        }

        const ns = AGENT_HOST_NAMESPACE;
        const provider = cluster.provider;
        // Nothing in or out but DNS; agentHostNetworkPolicies opens the pool's own flows.
        const namespace = isolatedNamespace(name, { cluster, name: ns, labels: { ...podSecurityLabels("restricted"), "app.kubernetes.io/part-of": "rustic-ai" }, policyLabels: {} }, this);
        this.namespace = namespace;
        const inNs = { parent: this, provider, dependsOn: [namespace] };
        const meta = (resourceName: string, labels: Record<string, string>) => ({ name: resourceName, namespace: ns, labels });
        // Deployments and Services are what the provider waits on (pods, endpoints).
        const awaitedMeta = (resourceName: string, labels: Record<string, string>) => ({
            ...meta(resourceName, labels),
            annotations: skipAwaitAnnotations(args.skipAwait ?? false),
        });
        const nodeSelector = spec.arch === undefined ? undefined : { "kubernetes.io/arch": spec.arch };

        for (const p of agentHostNetworkPolicies(spec)) {
            new k8s.networking.v1.NetworkPolicy(`${name}-${p.suffix}`, { metadata: meta(p.name, p.labels), spec: p.spec }, inNs);
        }

        // --- Redis credentials: generated, secret end to end. No special
        // characters, because the password is embedded in REDIS_URL.
        const password = new random.RandomPassword(`${name}-redis-password`, { length: 32, special: false }, { parent: this });
        this.redisPassword = pulumi.secret(password.result);
        const authSecret = new k8s.core.v1.Secret(
            `${name}-redis-auth`,
            { metadata: meta(REDIS_AUTH_SECRET, REDIS_LABELS), type: "Opaque", stringData: pulumi.secret(password.result.apply(redisAuthData)) },
            inNs,
        );

        // --- Redis: one replica, no persistence (locations are rebuilt by heartbeats).
        const redisConfigMap = new k8s.core.v1.ConfigMap(`${name}-redis-config`, { metadata: meta("redis-config", REDIS_LABELS), data: { "redis.conf": redisConfig(spec.redis) } }, inNs);
        const redisDeployment = new k8s.apps.v1.Deployment(
            `${name}-redis`,
            {
                metadata: awaitedMeta("redis", REDIS_LABELS),
                spec: redisDeploymentSpec(spec.redis, { configMapName: redisConfigMap.metadata.name, authSecretName: authSecret.metadata.name, nodeSelector }),
            },
            inNs,
        );
        new k8s.core.v1.Service(
            `${name}-redis-service`,
            {
                metadata: awaitedMeta("redis", REDIS_LABELS),
                spec: { type: "ClusterIP", selector: REDIS_SELECTOR, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
            },
            { ...inNs, dependsOn: [namespace, redisDeployment] },
        );

        // --- Agent host identity: upstream's least-privilege Role, namespaced.
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-agent-host-sa`, { metadata: meta("agent-host", HOST_LABELS), automountServiceAccountToken: false }, inNs);
        const role = new k8s.rbac.v1.Role(
            `${name}-agent-host-role`,
            {
                metadata: meta("agent-host", HOST_LABELS),
                rules: [
                    { apiGroups: [""], resources: ["endpoints"], verbs: ["get", "list", "watch"] },
                    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
                ],
            },
            inNs,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-agent-host-binding`,
            {
                metadata: meta("agent-host", HOST_LABELS),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: ns }],
            },
            inNs,
        );

        // --- Agent hosts.
        const deployment = new k8s.apps.v1.Deployment(
            `${name}-agent-host`,
            {
                metadata: awaitedMeta("agent-host", HOST_LABELS),
                spec: agentHostDeploymentSpec(spec, { serviceAccountName: serviceAccount.metadata.name, authSecretName: authSecret.metadata.name, nodeSelector }),
            },
            { ...inNs, dependsOn: [namespace, redisDeployment] },
        );
        const service = new k8s.core.v1.Service(
            `${name}-agent-host-service`,
            {
                metadata: awaitedMeta("agent-host", HOST_LABELS),
                spec: {
                    type: "ClusterIP",
                    // Headless: clients reach a specific pod (agents live in one host).
                    clusterIP: "None",
                    publishNotReadyAddresses: false,
                    selector: HOST_SELECTOR,
                    ports: [{ name: "grpc", port: GRPC_PORT, targetPort: GRPC_PORT, protocol: "TCP" }],
                },
            },
            inNs,
        );
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-agent-host-hpa`, { metadata: meta("agent-host", HOST_LABELS), spec: agentHostHpaSpec(spec, deployment.metadata.name) }, inNs);
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-agent-host-pdb`,
            {
                metadata: meta("agent-host", HOST_LABELS),
                spec: {
                    // maxUnavailable (not minAvailable) stays meaningful at any HPA size and never blocks a drain outright.
                    maxUnavailable: 1,
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                    selector: { matchLabels: HOST_SELECTOR },
                },
            },
            inNs,
        );

        this.grpcEndpoint = pulumi.interpolate`${service.metadata.name}.${ns}.svc.cluster.local:${GRPC_PORT}`;
        this.registerOutputs({ grpcEndpoint: this.grpcEndpoint, redisPassword: this.redisPassword });
    }
}

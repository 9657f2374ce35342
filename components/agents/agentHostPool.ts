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
import { WorkloadReadiness } from "../platform/releaseReadiness";

/** Seconds Redis, then the agent hosts, may take to become ready before `up` fails with why (the provider's own await waited 600 too). */
export const POOL_READY_SECONDS = 600;
import type { OllamaAccess } from "../../plan/services/ollama";

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
    /** Where Ollama is (the plan's `ollama`); without it the pool gets neither OLLAMA_HOST nor egress to it. */
    ollama?: OllamaAccess;
}

/** Where the pool's objects go once the namespace exists: what the phases after it share. */
interface PoolPlace {
    namespace: k8s.core.v1.Namespace;
    provider: k8s.Provider;
    /** `services.skipAwait`: the provider does not wait for pods and endpoints. */
    skipAwait: boolean;
    /** The pods' arch, when the spec pins one. */
    nodeSelector?: Record<string, string>;
    ollama?: OllamaAccess;
    /** The admin kubeconfig, for the Deployments' readiness waits. */
    kubeconfig: pulumi.Output<string>;
}

/** A namespaced object's options: the cluster's provider, after the namespace (and `after`). */
function inNs(parent: pulumi.Resource, at: PoolPlace, after: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent, provider: at.provider, dependsOn: [at.namespace, ...after] };
}

function meta(resourceName: string, labels: Record<string, string>) {
    return { name: resourceName, namespace: AGENT_HOST_NAMESPACE, labels };
}

/** Services are what the provider waits on (endpoints). */
function awaitedMeta(resourceName: string, labels: Record<string, string>, at: PoolPlace) {
    return { ...meta(resourceName, labels), annotations: skipAwaitAnnotations(at.skipAwait) };
}

/** A Deployment: the provider does not wait for it, its WorkloadReadiness does (and says why when it fails). */
function deploymentMeta(resourceName: string, labels: Record<string, string>) {
    return { ...meta(resourceName, labels), annotations: skipAwaitAnnotations(true) };
}

/** What waits for a Deployment's pods: its WorkloadReadiness, or (skipAwait) nothing but the Deployment. */
function readyAfter(name: string, parent: pulumi.Resource, at: PoolPlace, deployment: k8s.apps.v1.Deployment, workload: string): pulumi.Resource {
    if (at.skipAwait) return deployment;
    return new WorkloadReadiness(
        `${name}-ready`,
        { kubeconfig: at.kubeconfig, namespace: AGENT_HOST_NAMESPACE, workloads: [{ kind: "Deployment", namespace: AGENT_HOST_NAMESPACE, name: workload }], generation: deployment.metadata.generation, timeoutSeconds: POOL_READY_SECONDS },
        { parent, dependsOn: [deployment] },
    );
}

/** The namespace, where nothing goes in or out but DNS, and the policies that open the pool's own flows. */
function namespaceAndPolicies(name: string, parent: pulumi.Resource, cluster: ClusterTarget, spec: AgentHostSpec, ollama?: OllamaAccess) {
    const labels = { ...podSecurityLabels("restricted"), "app.kubernetes.io/part-of": "rustic-ai" };
    const namespace = isolatedNamespace(name, { cluster, name: AGENT_HOST_NAMESPACE, labels, policyLabels: {} }, parent);
    const policies = agentHostNetworkPolicies(spec, ollama).map(
        (p) => new k8s.networking.v1.NetworkPolicy(`${name}-${p.suffix}`, { metadata: meta(p.name, p.labels), spec: p.spec }, { parent, provider: cluster.provider, dependsOn: [namespace] }),
    );
    return { namespace, policies };
}

/**
 * The Redis location registry and its generated password, secret end to
 * end. One replica, no persistence: locations are rebuilt by heartbeats.
 */
function redis(name: string, parent: pulumi.Resource, spec: AgentHostSpec, at: PoolPlace) {
    // No special characters: the password is embedded in REDIS_URL.
    const password = new random.RandomPassword(`${name}-redis-password`, { length: 32, special: false }, { parent });
    const authSecret = new k8s.core.v1.Secret(
        `${name}-redis-auth`,
        { metadata: meta(REDIS_AUTH_SECRET, REDIS_LABELS), type: "Opaque", stringData: pulumi.secret(password.result.apply(redisAuthData)) },
        inNs(parent, at),
    );
    const config = new k8s.core.v1.ConfigMap(`${name}-redis-config`, { metadata: meta("redis-config", REDIS_LABELS), data: { "redis.conf": redisConfig(spec.redis) } }, inNs(parent, at));
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-redis`,
        {
            metadata: deploymentMeta("redis", REDIS_LABELS),
            spec: redisDeploymentSpec(spec.redis, { configMapName: config.metadata.name, authSecretName: authSecret.metadata.name, nodeSelector: at.nodeSelector }),
        },
        inNs(parent, at),
    );
    const ready = readyAfter(`${name}-redis`, parent, at, deployment, "redis");
    const service = new k8s.core.v1.Service(
        `${name}-redis-service`,
        {
            metadata: awaitedMeta("redis", REDIS_LABELS, at),
            spec: { type: "ClusterIP", selector: REDIS_SELECTOR, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
        },
        inNs(parent, at, [ready]),
    );
    return { password, authSecret, config, deployment, ready, service };
}

/** The agent hosts' identity: upstream's least-privilege Role, namespaced. */
function hostIdentity(name: string, parent: pulumi.Resource, at: PoolPlace) {
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-agent-host-sa`, { metadata: meta("agent-host", HOST_LABELS), automountServiceAccountToken: false }, inNs(parent, at));
    const role = new k8s.rbac.v1.Role(
        `${name}-agent-host-role`,
        {
            metadata: meta("agent-host", HOST_LABELS),
            rules: [
                { apiGroups: [""], resources: ["endpoints"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
            ],
        },
        inNs(parent, at),
    );
    const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-agent-host-binding`,
        {
            metadata: meta("agent-host", HOST_LABELS),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: AGENT_HOST_NAMESPACE }],
        },
        inNs(parent, at),
    );
    return { serviceAccount, role, binding };
}

/** The agent hosts, once Redis runs, and their headless gRPC Service. */
function hostDeployment(name: string, parent: pulumi.Resource, spec: AgentHostSpec, at: PoolPlace, serviceAccount: k8s.core.v1.ServiceAccount, registry: ReturnType<typeof redis>) {
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-agent-host`,
        {
            metadata: deploymentMeta("agent-host", HOST_LABELS),
            spec: agentHostDeploymentSpec(spec, { serviceAccountName: serviceAccount.metadata.name, authSecretName: registry.authSecret.metadata.name, nodeSelector: at.nodeSelector, ollama: at.ollama }),
        },
        // Redis running first (its readiness): the hosts register with it at start.
        inNs(parent, at, [registry.ready]),
    );
    const ready = readyAfter(`${name}-agent-host`, parent, at, deployment, "agent-host");
    const service = new k8s.core.v1.Service(
        `${name}-agent-host-service`,
        {
            metadata: awaitedMeta("agent-host", HOST_LABELS, at),
            spec: {
                type: "ClusterIP",
                // Headless: clients reach a specific pod (agents live in one host).
                clusterIP: "None",
                publishNotReadyAddresses: false,
                selector: HOST_SELECTOR,
                ports: [{ name: "grpc", port: GRPC_PORT, targetPort: GRPC_PORT, protocol: "TCP" }],
            },
        },
        inNs(parent, at, [ready]),
    );
    return { deployment, ready, service };
}

/** The HPA with upstream's bounds and behaviour, and a disruption budget that suits any size. */
function autoscaling(name: string, parent: pulumi.Resource, spec: AgentHostSpec, at: PoolPlace, deployment: k8s.apps.v1.Deployment) {
    const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-agent-host-hpa`, { metadata: meta("agent-host", HOST_LABELS), spec: agentHostHpaSpec(spec, deployment.metadata.name) }, inNs(parent, at));
    const pdb = new k8s.policy.v1.PodDisruptionBudget(
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
        inNs(parent, at),
    );
    return { hpa, pdb };
}

/** The AgentHostPool component's type token (npm run deploy finds the pool in state by it). */
export const AGENT_HOST_POOL_TYPE = "picluster:agents:AgentHostPool";

/**
 * The Rustic AI agent-host pool: gRPC agent hosts backed by a Redis location
 * registry, autoscaled by an HPA with upstream's bounds and behaviour, in a
 * Pod Security `restricted` namespace with default-deny NetworkPolicies.
 * The object specs come from pure builders in `agentHost/`; each phase below
 * registers its share of them.
 */
export class AgentHostPool extends pulumi.ComponentResource {
    /** In-cluster address of the headless gRPC service, `agent-host.rustic-ai.svc.cluster.local:50051`; undefined when disabled. */
    readonly grpcEndpoint?: pulumi.Output<string>;
    /** The generated Redis password (secret); undefined when disabled. */
    readonly redisPassword?: pulumi.Output<string>;
    /** The namespace, when enabled. */
    readonly namespace?: k8s.core.v1.Namespace;

    constructor(name: string, args: AgentHostPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super(AGENT_HOST_POOL_TYPE, name, {}, opts);
        const { spec, cluster } = args;
        if (!spec.enabled) {
            this.registerOutputs({});
            return;
        }

        const { namespace } = namespaceAndPolicies(name, this, cluster, spec, args.ollama);
        this.namespace = namespace;
        const at: PoolPlace = {
            namespace,
            provider: cluster.provider,
            skipAwait: args.skipAwait ?? false,
            nodeSelector: spec.arch === undefined ? undefined : { "kubernetes.io/arch": spec.arch },
            ollama: args.ollama,
            kubeconfig: cluster.kubeconfig,
        };
        const registry = redis(name, this, spec, at);
        this.redisPassword = pulumi.secret(registry.password.result);
        const { serviceAccount } = hostIdentity(name, this, at);
        const hosts = hostDeployment(name, this, spec, at, serviceAccount, registry);
        autoscaling(name, this, spec, at, hosts.deployment);

        this.grpcEndpoint = pulumi.interpolate`${hosts.service.metadata.name}.${AGENT_HOST_NAMESPACE}.svc.cluster.local:${GRPC_PORT}`;
        this.registerOutputs({ grpcEndpoint: this.grpcEndpoint, redisPassword: this.redisPassword });
    }
}

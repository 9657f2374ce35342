import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import type { AgentHostSpec, HpaSpec, RedisSpec } from "../../stacks/schema/agents";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { skipAwaitAnnotations } from "../k8s/labels";
import { AGENT_HOST_NAMESPACE, agentHostDemand, type WorkloadDemand } from "./demand";
import {
    OLLAMA,
    dnsEgressRule,
    ollamaEgressRule,
    restrictedContainerSecurityContext,
    restrictedNamespaceLabels,
    restrictedPodSecurityContext,
} from "../k8s/hardening";

/** The gRPC port upstream's agent host listens on (GRPC_PORT). */
export const GRPC_PORT = 50051;
export const REDIS_PORT = 6379;
/** uid of the `rustic` user in rustic-ai's k8s/Dockerfile. */
const AGENT_HOST_UID = 1000;
/** uid/gid of the `redis` user in the official redis alpine image. */
const REDIS_UID = 999;
const REDIS_GID = 1000;

const REDIS_AUTH_SECRET = "redis-auth";
const AUTH_CONF_DIR = "/secrets";
const CONFIG_DIR = "/config";

/** Arguments of {@link AgentHostPool}. */
export interface AgentHostPoolArgs {
    /** The cluster to deploy into; its provider is passed to every resource. */
    cluster: ClusterTarget;
    /** The validated `picluster:agentHost` config. When `enabled` is false nothing is registered. */
    spec: AgentHostSpec;
    /** Do not wait for pods and endpoints (`services.skipAwait`: an API server without kubelets). */
    skipAwait?: boolean;
}

/**
 * redis.conf for the location registry. The password is not in here: it is
 * `include`d from a Secret-mounted file, so it never sits in a ConfigMap or
 * on the command line.
 */
export function redisConfig(redis: RedisSpec): string {
    return [
        "# Rustic AI location registry (managed by picluster)",
        `port ${REDIS_PORT}`,
        "dir /data",
        `maxmemory ${redis.maxmemory}`,
        // See redisEvictionPolicies in stacks/schema/agents.ts for why not allkeys-lru.
        `maxmemory-policy ${redis.maxmemoryPolicy}`,
        // Locations are rebuilt by heartbeats within a minute; persistence buys nothing.
        'save ""',
        "appendonly no",
        "tcp-keepalive 60",
        "timeout 300",
        `include ${AUTH_CONF_DIR}/auth.conf`,
        "",
    ].join("\n");
}

/** The HPA `behavior` block (autoscaling/v2) from the config. */
export function hpaBehavior(hpa: HpaSpec): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerBehavior {
    const rules = (r: HpaSpec["scaleUp"]) => ({
        stabilizationWindowSeconds: r.stabilizationWindowSeconds,
        selectPolicy: r.selectPolicy,
        policies: r.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })),
    });
    return { scaleDown: rules(hpa.scaleDown), scaleUp: rules(hpa.scaleUp) };
}

/**
 * The readiness check: upstream's custom `AgentHostService.Health` RPC (the
 * server does not implement grpc.health.v1, so a native grpc probe would
 * always fail). Liveness is a plain TCP check so a slow Health call marks the
 * pod unready without restarting it.
 */
export const HEALTH_RPC_CHECK = [
    "python",
    "-c",
    [
        "import os, grpc",
        "from rustic_ai.k8s.proto import agent_host_pb2 as pb, agent_host_pb2_grpc as rpc",
        "stub = rpc.AgentHostServiceStub(grpc.insecure_channel('127.0.0.1:' + os.environ['GRPC_PORT']))",
        "raise SystemExit(0 if stub.Health(pb.HealthRequest(), timeout=3).healthy else 1)",
    ].join("\n"),
];

/**
 * The Rustic AI agent-host pool: gRPC agent hosts backed by a Redis location
 * registry, autoscaled by an HPA with upstream's bounds and behaviour, in a
 * Pod Security `restricted` namespace with default-deny NetworkPolicies.
 */
export class AgentHostPool extends pulumi.ComponentResource {
    /** In-cluster address of the headless gRPC service, `agent-host.rustic-ai.svc.cluster.local:50051`; undefined when disabled. */
    readonly grpcEndpoint?: pulumi.Output<string>;
    /** The generated Redis password (secret); undefined when disabled. */
    readonly redisPassword?: pulumi.Output<string>;
    /** What the pool asks of the scheduler at its minimum size (for the capacity check). */
    readonly demand: WorkloadDemand[];
    /** The namespace, when enabled. */
    readonly namespace?: k8s.core.v1.Namespace;

    constructor(name: string, args: AgentHostPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:agents:AgentHostPool", name, {}, opts);
        const { spec, cluster } = args;
        this.demand = agentHostDemand(spec);
        if (!spec.enabled) {
            this.registerOutputs({});
            return;
        }

        const ns = AGENT_HOST_NAMESPACE;
        const provider = cluster.provider;
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: ns, labels: { ...restrictedNamespaceLabels(), "app.kubernetes.io/part-of": "rustic-ai" } } },
            { parent: this, provider, dependsOn: cluster.readyResources },
        );
        this.namespace = namespace;
        const inNs = { parent: this, provider, dependsOn: [namespace] };
        const meta = (resourceName: string, labels: Record<string, string>) => ({ name: resourceName, namespace: ns, labels });
        // Deployments and Services are what the provider waits on (pods, endpoints).
        const awaitedMeta = (resourceName: string, labels: Record<string, string>) => ({
            ...meta(resourceName, labels),
            annotations: skipAwaitAnnotations(args.skipAwait ?? false),
        });

        const hostLabels = { app: "agent-host", component: "execution-engine", "app.kubernetes.io/part-of": "rustic-ai" };
        const redisLabels = { app: "redis", component: "location-registry", "app.kubernetes.io/part-of": "rustic-ai" };
        const hostSelector = { app: "agent-host" };
        const redisSelector = { app: "redis" };
        const nodeSelector = spec.arch === undefined ? undefined : { "kubernetes.io/arch": spec.arch };

        // --- Network: deny everything, then allow exactly the flows the pool needs.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            { metadata: meta("default-deny", {}), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
            inNs,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-allow-dns`,
            { metadata: meta("allow-dns", {}), spec: { podSelector: {}, policyTypes: ["Egress"], egress: [dnsEgressRule()] } },
            inNs,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-redis-ingress`,
            {
                metadata: meta("redis-from-agent-host", redisLabels),
                spec: {
                    podSelector: { matchLabels: redisSelector },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: { matchLabels: hostSelector } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
                },
            },
            inNs,
        );
        const hostEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
            { to: [{ podSelector: { matchLabels: redisSelector } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] },
            { to: [{ podSelector: { matchLabels: hostSelector } }], ports: [{ protocol: "TCP", port: GRPC_PORT }] },
        ];
        if (spec.ollamaAccess) hostEgress.push(ollamaEgressRule());
        if (spec.apiServerCidrs.length > 0) {
            hostEgress.push({
                to: spec.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ports: [
                    { protocol: "TCP", port: 443 },
                    { protocol: "TCP", port: 6443 },
                ],
            });
        }
        new k8s.networking.v1.NetworkPolicy(
            `${name}-agent-host-egress`,
            { metadata: meta("agent-host-egress", hostLabels), spec: { podSelector: { matchLabels: hostSelector }, policyTypes: ["Egress"], egress: hostEgress } },
            inNs,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-grpc-ingress`,
            {
                metadata: meta("agent-host-grpc-ingress", hostLabels),
                spec: {
                    podSelector: { matchLabels: hostSelector },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                { podSelector: { matchLabels: hostSelector } },
                                ...spec.allowedNamespaces.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } })),
                            ],
                            ports: [{ protocol: "TCP", port: GRPC_PORT }],
                        },
                    ],
                },
            },
            inNs,
        );

        // --- Redis credentials: generated, secret end to end. No special
        // characters, because the password is embedded in REDIS_URL.
        const password = new random.RandomPassword(`${name}-redis-password`, { length: 32, special: false }, { parent: this });
        this.redisPassword = pulumi.secret(password.result);
        const authSecret = new k8s.core.v1.Secret(
            `${name}-redis-auth`,
            {
                metadata: meta(REDIS_AUTH_SECRET, redisLabels),
                type: "Opaque",
                stringData: pulumi.secret(
                    password.result.apply((pw) => ({
                        password: pw,
                        url: `redis://:${pw}@redis:${REDIS_PORT}/0`,
                        "auth.conf": `requirepass ${pw}\n`,
                    })),
                ),
            },
            inNs,
        );

        // --- Redis: one replica, no persistence (locations are rebuilt by heartbeats).
        const conf = redisConfig(spec.redis);
        const redisConfigMap = new k8s.core.v1.ConfigMap(`${name}-redis-config`, { metadata: meta("redis-config", redisLabels), data: { "redis.conf": conf } }, inNs);
        const redisDeployment = new k8s.apps.v1.Deployment(
            `${name}-redis`,
            {
                metadata: awaitedMeta("redis", redisLabels),
                spec: {
                    // Redis is not autoscaled; a second replica would be a second, empty registry.
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: redisSelector },
                    template: {
                        // The hash rolls Redis when its config changes (the Secret is stable).
                        metadata: { labels: redisLabels, annotations: { "picluster.dev/config-sha256": createHash("sha256").update(conf).digest("hex") } },
                        spec: {
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_GID),
                            nodeSelector,
                            containers: [
                                {
                                    name: "redis",
                                    image: spec.redis.image,
                                    command: ["redis-server", `${CONFIG_DIR}/redis.conf`],
                                    ports: [{ containerPort: REDIS_PORT, name: "redis", protocol: "TCP" }],
                                    // redis-cli reads the password from REDISCLI_AUTH, keeping it out of argv.
                                    env: [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: REDIS_AUTH_SECRET, key: "password" } } }],
                                    resources: spec.redis.resources,
                                    livenessProbe: { tcpSocket: { port: "redis" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                                    readinessProbe: {
                                        exec: { command: ["sh", "-c", "redis-cli --no-auth-warning ping | grep -q PONG"] },
                                        initialDelaySeconds: 5,
                                        periodSeconds: 5,
                                        timeoutSeconds: 3,
                                        failureThreshold: 3,
                                    },
                                    securityContext: restrictedContainerSecurityContext(REDIS_UID, true, REDIS_GID),
                                    volumeMounts: [
                                        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                                        { name: "auth", mountPath: AUTH_CONF_DIR, readOnly: true },
                                        { name: "data", mountPath: "/data" },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: redisConfigMap.metadata.name } },
                                { name: "auth", secret: { secretName: authSecret.metadata.name, items: [{ key: "auth.conf", path: "auth.conf" }], defaultMode: 0o440 } },
                                { name: "data", emptyDir: { sizeLimit: "64Mi" } },
                            ],
                        },
                    },
                },
            },
            inNs,
        );
        new k8s.core.v1.Service(
            `${name}-redis-service`,
            {
                metadata: awaitedMeta("redis", redisLabels),
                spec: { type: "ClusterIP", selector: redisSelector, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
            },
            { ...inNs, dependsOn: [namespace, redisDeployment] },
        );

        // --- Agent host identity: upstream's least-privilege Role, namespaced.
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-agent-host-sa`,
            { metadata: meta("agent-host", hostLabels), automountServiceAccountToken: false },
            inNs,
        );
        const role = new k8s.rbac.v1.Role(
            `${name}-agent-host-role`,
            {
                metadata: meta("agent-host", hostLabels),
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
                metadata: meta("agent-host", hostLabels),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: ns }],
            },
            inNs,
        );

        // --- Agent hosts.
        const apiAccess = spec.apiServerCidrs.length > 0;
        const env: k8s.types.input.core.v1.EnvVar[] = [
            { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: authSecret.metadata.name, key: "url" } } },
            { name: "GRPC_PORT", value: String(GRPC_PORT) },
            { name: "MAX_PROCESSES", value: String(spec.maxProcesses) },
            { name: "HEARTBEAT_INTERVAL", value: String(spec.heartbeatInterval) },
            { name: "HOSTNAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ];
        if (spec.ollamaAccess) env.push({ name: "OLLAMA_HOST", value: OLLAMA.url });
        if (spec.readOnlyRootFilesystem) {
            // The image's home is on the (read-only) root filesystem.
            env.push({ name: "HOME", value: "/tmp" }, { name: "PYTHONDONTWRITEBYTECODE", value: "1" });
        }
        const deployment = new k8s.apps.v1.Deployment(
            `${name}-agent-host`,
            {
                metadata: awaitedMeta("agent-host", hostLabels),
                spec: {
                    // No `replicas`: the HPA owns the replica count. A value here
                    // would be re-applied on every `pulumi up`, resetting whatever
                    // the HPA chose (upstream sets 3 next to its HPA). A new
                    // Deployment starts at 1 and the HPA lifts it to minReplicas
                    // within one sync period, metrics or not.
                    selector: { matchLabels: hostSelector },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: { labels: hostLabels },
                        spec: {
                            serviceAccountName: serviceAccount.metadata.name,
                            automountServiceAccountToken: apiAccess,
                            enableServiceLinks: false,
                            terminationGracePeriodSeconds: 60,
                            securityContext: restrictedPodSecurityContext(AGENT_HOST_UID),
                            nodeSelector,
                            topologySpreadConstraints: [
                                {
                                    maxSkew: 1,
                                    topologyKey: "kubernetes.io/hostname",
                                    // ScheduleAnyway: with 20 pods on 4–5 nodes a hard spread would block scale-up.
                                    whenUnsatisfiable: "ScheduleAnyway",
                                    labelSelector: { matchLabels: hostSelector },
                                    matchLabelKeys: ["pod-template-hash"],
                                },
                            ],
                            containers: [
                                {
                                    name: "agent-host",
                                    // The schema requires an image whenever the pool is enabled.
                                    image: spec.image as string,
                                    imagePullPolicy: "IfNotPresent",
                                    ports: [{ containerPort: GRPC_PORT, name: "grpc", protocol: "TCP" }],
                                    env,
                                    resources: spec.resources,
                                    livenessProbe: { tcpSocket: { port: "grpc" }, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                                    readinessProbe: { exec: { command: HEALTH_RPC_CHECK }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                                    securityContext: restrictedContainerSecurityContext(AGENT_HOST_UID, spec.readOnlyRootFilesystem),
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
                        },
                    },
                },
            },
            { ...inNs, dependsOn: [namespace, redisDeployment] },
        );
        const service = new k8s.core.v1.Service(
            `${name}-agent-host-service`,
            {
                metadata: awaitedMeta("agent-host", hostLabels),
                spec: {
                    type: "ClusterIP",
                    // Headless: clients reach a specific pod (agents live in one host).
                    clusterIP: "None",
                    publishNotReadyAddresses: false,
                    selector: hostSelector,
                    ports: [{ name: "grpc", port: GRPC_PORT, targetPort: GRPC_PORT, protocol: "TCP" }],
                },
            },
            inNs,
        );
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
            `${name}-agent-host-hpa`,
            {
                metadata: meta("agent-host", hostLabels),
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                    minReplicas: spec.minReplicas,
                    maxReplicas: spec.maxReplicas,
                    metrics: [
                        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.hpa.cpuUtilization } } },
                        { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: spec.hpa.memoryUtilization } } },
                    ],
                    behavior: hpaBehavior(spec.hpa),
                },
            },
            inNs,
        );
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-agent-host-pdb`,
            {
                metadata: meta("agent-host", hostLabels),
                spec: {
                    // maxUnavailable (not minAvailable) stays meaningful at any HPA size and never blocks a drain outright.
                    maxUnavailable: 1,
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                    selector: { matchLabels: hostSelector },
                },
            },
            inNs,
        );

        this.grpcEndpoint = pulumi.interpolate`${service.metadata.name}.${ns}.svc.cluster.local:${GRPC_PORT}`;
        this.registerOutputs({ grpcEndpoint: this.grpcEndpoint, redisPassword: this.redisPassword });
    }
}

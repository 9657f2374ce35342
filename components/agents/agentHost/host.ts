import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AgentHostSpec, HpaSpec } from "../../../config/schema/agents";
import type { OllamaAccess } from "../../../plan/services/ollama";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../k8s/hardening";
import { AGENT_HOST_UID, GRPC_PORT, HOST_LABELS, HOST_SELECTOR } from "./names";

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

/** The HPA `behavior` block (autoscaling/v2) from the config. */
export function hpaBehavior(hpa: HpaSpec): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerBehavior {
    const rules = (r: HpaSpec["scaleUp"]) => ({
        stabilizationWindowSeconds: r.stabilizationWindowSeconds,
        selectPolicy: r.selectPolicy,
        policies: r.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })),
    });
    return { scaleDown: rules(hpa.scaleDown), scaleUp: rules(hpa.scaleUp) };
}

/** The agent host's environment: Redis URL from the Secret, upstream's settings, and Ollama when allowed and planned (`ollama`: where it is). */
export function agentHostEnv(spec: AgentHostSpec, authSecretName: pulumi.Input<string>, ollama?: OllamaAccess): k8s.types.input.core.v1.EnvVar[] {
    const env: k8s.types.input.core.v1.EnvVar[] = [
        { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: authSecretName, key: "url" } } },
        { name: "GRPC_PORT", value: String(GRPC_PORT) },
        { name: "MAX_PROCESSES", value: String(spec.maxProcesses) },
        { name: "HEARTBEAT_INTERVAL", value: String(spec.heartbeatInterval) },
        { name: "HOSTNAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ];
    if (spec.ollamaAccess && ollama) env.push({ name: "OLLAMA_HOST", value: ollama.url });
    if (spec.readOnlyRootFilesystem) {
        // The image's home is on the (read-only) root filesystem.
        env.push({ name: "HOME", value: "/tmp" }, { name: "PYTHONDONTWRITEBYTECODE", value: "1" });
    }
    return env;
}

/**
 * The agent-host Deployment spec. No `replicas`: the HPA owns the replica
 * count. A value here would be re-applied on every `pulumi up`, resetting
 * whatever the HPA chose (upstream sets 3 next to its HPA). A new
 * Deployment starts at 1 and the HPA lifts it to minReplicas within one
 * sync period, metrics or not.
 */
export function agentHostDeploymentSpec(
    spec: AgentHostSpec,
    refs: { serviceAccountName: pulumi.Input<string>; authSecretName: pulumi.Input<string>; nodeSelector?: Record<string, string>; ollama?: OllamaAccess },
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        selector: { matchLabels: HOST_SELECTOR },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
            metadata: { labels: HOST_LABELS },
            spec: {
                serviceAccountName: refs.serviceAccountName,
                // Only pods that call the API get a token.
                automountServiceAccountToken: spec.apiServerCidrs.length > 0,
                enableServiceLinks: false,
                terminationGracePeriodSeconds: 60,
                securityContext: restrictedPodSecurityContext(AGENT_HOST_UID),
                nodeSelector: refs.nodeSelector,
                topologySpreadConstraints: [
                    {
                        maxSkew: 1,
                        topologyKey: "kubernetes.io/hostname",
                        // ScheduleAnyway: with 20 pods on 4–5 nodes a hard spread would block scale-up.
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: HOST_SELECTOR },
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
                        env: agentHostEnv(spec, refs.authSecretName, refs.ollama),
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
    };
}

/** The HPA spec: upstream's bounds and behaviour on CPU and memory utilisation. */
export function agentHostHpaSpec(spec: AgentHostSpec, deploymentName: pulumi.Input<string>): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec {
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
        minReplicas: spec.minReplicas,
        maxReplicas: spec.maxReplicas,
        metrics: [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.hpa.cpuUtilization } } },
            { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: spec.hpa.memoryUtilization } } },
        ],
        behavior: hpaBehavior(spec.hpa),
    };
}

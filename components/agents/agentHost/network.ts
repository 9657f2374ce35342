import type * as k8s from "@pulumi/kubernetes";
import type { AgentHostSpec } from "../../../config/schema/agents";
import type { OllamaAccess } from "../../../plan/services/ollama";
import { GRPC_PORT, HOST_LABELS, HOST_SELECTOR, REDIS_LABELS, REDIS_PORT, REDIS_SELECTOR } from "./names";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** One NetworkPolicy of the pool: the suffix of its resource name, its object name, labels and spec. */
export interface PoolNetworkPolicy {
    suffix: string;
    name: string;
    labels: Record<string, string>;
    spec: NetworkPolicySpec;
}

/**
 * The pool's own flows on top of its isolated namespace (default-deny + DNS,
 * components/k8s/namespace.ts): agent host → Redis, host ↔ host gRPC, the
 * allowed namespaces → gRPC, and optionally Ollama (where the plan found
 * it: none without one) and the API server.
 */
export function agentHostNetworkPolicies(spec: AgentHostSpec, ollama?: OllamaAccess): PoolNetworkPolicy[] {
    const hostEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
        { to: [{ podSelector: { matchLabels: REDIS_SELECTOR } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] },
        { to: [{ podSelector: { matchLabels: HOST_SELECTOR } }], ports: [{ protocol: "TCP", port: GRPC_PORT }] },
    ];
    if (spec.ollamaAccess && ollama) hostEgress.push(ollama.egress);
    if (spec.apiServerCidrs.length > 0) {
        hostEgress.push({
            to: spec.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
            ports: [
                { protocol: "TCP", port: 443 },
                { protocol: "TCP", port: 6443 },
            ],
        });
    }
    return [
        {
            suffix: "redis-ingress",
            name: "redis-from-agent-host",
            labels: REDIS_LABELS,
            spec: {
                podSelector: { matchLabels: REDIS_SELECTOR },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: HOST_SELECTOR } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
            },
        },
        {
            suffix: "agent-host-egress",
            name: "agent-host-egress",
            labels: HOST_LABELS,
            spec: { podSelector: { matchLabels: HOST_SELECTOR }, policyTypes: ["Egress"], egress: hostEgress },
        },
        {
            suffix: "grpc-ingress",
            name: "agent-host-grpc-ingress",
            labels: HOST_LABELS,
            spec: {
                podSelector: { matchLabels: HOST_SELECTOR },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            { podSelector: { matchLabels: HOST_SELECTOR } },
                            ...spec.allowedNamespaces.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } })),
                        ],
                        ports: [{ protocol: "TCP", port: GRPC_PORT }],
                    },
                ],
            },
        },
    ];
}

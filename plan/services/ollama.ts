import { tolerationsOf } from "../capacity";
import type { OllamaSpec } from "../../config/schema/services";
import { defineServicePlanner } from "./service";

/*
 * The in-cluster address of Ollama, fixed because the worker agents expect it
 * (`ollama-service.ai-services.svc.cluster.local:11434`): the Ollama service
 * creates it, the agents' egress rules and OLLAMA_HOST point at it.
 */
export const OLLAMA_NAMESPACE = "ai-services";
export const OLLAMA_SERVICE = "ollama-service";
export const OLLAMA_PORT = 11434;
export const OLLAMA = {
    namespace: OLLAMA_NAMESPACE,
    port: OLLAMA_PORT,
    url: `http://${OLLAMA_SERVICE}.${OLLAMA_NAMESPACE}.svc.cluster.local:${OLLAMA_PORT}`,
} as const;

/**
 * How an Ollama consumer (agent host, worker template, notebook) reaches
 * Ollama: the URL it is given as OLLAMA_HOST and the one egress rule its
 * NetworkPolicy opens (plain data: components and chart values take it as
 * is). In-cluster: the namespace on the port; external: the CIDR on the
 * URL's port.
 */
export interface OllamaAccess {
    url: string;
    egress: { to: ({ namespaceSelector: { matchLabels: Record<string, string> } } | { ipBlock: { cidr: string } })[]; ports: { protocol: "TCP"; port: number }[] };
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Where consumers find Ollama: the in-cluster service when enabled, else `external`, else nowhere (undefined). */
export function ollamaAccess(spec: Pick<OllamaSpec, "enabled" | "external">): OllamaAccess | undefined {
    if (spec.enabled) {
        return { url: OLLAMA.url, egress: { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": OLLAMA_NAMESPACE } } }], ports: [{ protocol: "TCP", port: OLLAMA_PORT }] } };
    }
    if (!spec.external) return undefined;
    const url = new URL(spec.external.url);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const cidr = spec.external.cidr ?? (IPV4.test(url.hostname) ? `${url.hostname}/32` : undefined);
    return { url: `${url.protocol}//${url.host}`, egress: { to: cidr ? [{ ipBlock: { cidr } }] : [], ports: [{ protocol: "TCP", port }] } };
}

/** Problems of `services.ollama.external` itself: set beside an enabled Ollama, or a host name with no CIDR for the NetworkPolicies. */
export function ollamaExternalProblems(spec: Pick<OllamaSpec, "enabled" | "external">): string[] {
    const ext = spec.external;
    if (!ext) return [];
    const at = "picluster:services.ollama.external";
    if (spec.enabled) return [`${at}.url = "${ext.url}": services.ollama.enabled is true, so every consumer uses the in-cluster Ollama; remove external, or set services.ollama.enabled: false`];
    if (ext.cidr === undefined && !IPV4.test(new URL(ext.url).hostname)) {
        return [`${at}.url = "${ext.url}": its host is a name, and a NetworkPolicy can only let consumers through to addresses; add services.ollama.external.cidr (e.g. the host's address/32)`];
    }
    return [];
}

/** Ollama: on the declared GPU node when `gpu: true`, else where its placement says. */
export const ollamaPlanner = defineServicePlanner({
    key: "ollama",
    charts: (spec) => [{ chart: "ollama", repo: spec.repo, version: spec.version }],
    // The image runs as root.
    namespaces: [{ name: OLLAMA_NAMESPACE, podSecurity: "baseline" }],
    validate(spec, { nodes }) {
        if (spec.gpu && nodes.length > 0 && !nodes.some((n) => n.gpu)) {
            return ["picluster:services.ollama.gpu = true: no node in cluster.nodes has gpu: true; mark the GPU node (cluster.nodes[i].gpu: true) or set services.ollama.gpu: false"];
        }
        return [];
    },
    objects: () => [
        { kind: "HelmRelease", namespace: OLLAMA_NAMESPACE, name: "ollama" },
        { kind: "Service", namespace: OLLAMA_NAMESPACE, name: OLLAMA_SERVICE },
    ],
    demands(spec, { nodes }) {
        const gpuNode = nodes.find((n) => n.gpu);
        return [
            {
                name: "ollama",
                ...spec.resources.requests,
                limitMemory: spec.resources.limits.memory,
                limitKey: "services.ollama.resources.limits.memory",
                replicas: 1,
                storage: spec.storage.size,
                storageClass: spec.storage.storageClass,
                arch: spec.gpu ? "amd64" : spec.placement.arch,
                nodeSelector: { ...spec.placement.nodeSelector, ...(spec.gpu && gpuNode ? { "kubernetes.io/hostname": gpuNode.name } : {}) },
                gpu: spec.gpu,
                gpus: spec.gpu ? spec.gpuCount : 0,
                tolerations: spec.gpu && gpuNode ? tolerationsOf([gpuNode]) : [],
            },
        ];
    },
});

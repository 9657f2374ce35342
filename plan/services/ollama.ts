import { tolerationsOf } from "../capacity";
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

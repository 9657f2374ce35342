import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../../config/schema/cluster";
import type { OllamaSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { tolerationsOf } from "../../../plan/capacity";
import { OLLAMA_NAMESPACE, OLLAMA_PORT, OLLAMA_SERVICE } from "../../../plan/services/ollama";
import { HelmService } from "../helmService";
import type { NamespaceRef } from "../../k8s/namespace";
import { nodeSelectorFor, resourceValues, type Values } from "../../../plan/values";
import { defineService } from "./service";

export const OLLAMA_CHART = "ollama";

/** Where Ollama runs: the declared GPU node when `gpu: true`, else the configured placement. */
export function ollamaNodeSelector(spec: OllamaSpec, gpuNode?: Pick<NodeSpec, "name">): Record<string, string> {
    if (spec.gpu) {
        return {
            "kubernetes.io/arch": "amd64",
            ...(gpuNode ? { "kubernetes.io/hostname": gpuNode.name } : {}),
            ...spec.placement.nodeSelector,
        };
    }
    return nodeSelectorFor(spec.placement);
}

/** Chart values for the otwld `ollama` chart. */
export function ollamaValues(spec: OllamaSpec, ctx: { storageClass: string; gpuNode?: Pick<NodeSpec, "name" | "taints"> }): Values {
    const tolerations = spec.gpu && ctx.gpuNode ? tolerationsOf([ctx.gpuNode]) : [];
    return {
        // The chart names its Service after the fullname: this gives the address the agents use.
        fullnameOverride: OLLAMA_SERVICE,
        ollama: {
            port: OLLAMA_PORT,
            models: { pull: [...spec.models] },
            gpu: { enabled: spec.gpu, type: "nvidia", number: spec.gpuCount },
        },
        // The NVIDIA runtime class exposes the GPU to the container (k3s registers `nvidia` when the toolkit is present).
        runtimeClassName: spec.gpu ? spec.runtimeClassName : "",
        resources: resourceValues(spec.resources),
        // Models survive restarts; without a volume every restart pulls ~5 GB again.
        persistentVolume: { enabled: true, size: spec.storage.size, storageClass: spec.storage.storageClass ?? ctx.storageClass },
        // The pull runs in a postStart hook; probes must not kill the pod before it finishes (ollama-helm#200).
        readinessProbe: { enabled: true, path: "/api/version", initialDelaySeconds: spec.probeDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
        livenessProbe: { enabled: true, path: "/", initialDelaySeconds: spec.probeDelaySeconds + 60, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 10 },
        nodeSelector: ollamaNodeSelector(spec, ctx.gpuNode),
        tolerations,
        serviceAccount: { create: true, automount: false },
        service: { type: "ClusterIP", port: OLLAMA_PORT },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
        tests: { enabled: false },
    };
}

export interface OllamaArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: OllamaSpec;
    storageClass: string;
    skipAwait: boolean;
}

/** Ollama for the worker agents, on the GPU node when `gpu: true`, with the model list pulled at start. */
export class Ollama extends pulumi.ComponentResource {
    readonly helm: HelmService;
    /** `ollama-service.ai-services.svc.cluster.local:11434` */
    readonly endpoint: string;

    constructor(name: string, args: OllamaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Ollama", name, {}, opts);
        const gpuNode = args.cluster.nodes.find((n) => n.gpu);
        // The GPU is requested only where one exists; an existing cluster declares no nodes, so its config is trusted.
        const spec = args.spec.gpu && !gpuNode && args.cluster.nodes.length > 0 ? { ...args.spec, gpu: false } : args.spec;
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: "ollama",
                chart: { chart: OLLAMA_CHART, repo: args.spec.repo, version: args.spec.version },
                defaults: ollamaValues(spec, { storageClass: args.storageClass, gpuNode }),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
            },
            { parent: this },
        );
        this.endpoint = `${OLLAMA_SERVICE}.${args.namespace.name}.svc.cluster.local:${OLLAMA_PORT}`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

/** Ollama as a built-in service: `picluster:services.ollama`. */
export const ollamaService = defineService({
    key: "ollama",
    type: "picluster:platform:Ollama",
    create(name, args, opts) {
        const component = new Ollama(name, { ...args, namespace: args.namespaces[OLLAMA_NAMESPACE] }, opts);
        return { component, endpoints: { ollama: component.endpoint }, credentials: {} };
    },
});

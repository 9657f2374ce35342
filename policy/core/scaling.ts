import { k8sName, k8sNamespace, kindOf, obj, podTemplate, stringMap } from "./k8s";
import type { ResourceView } from "./types";

/** Kinds whose replica count an HPA or `spec.replicas` sets. */
const SCALABLE = new Set(["Deployment", "StatefulSet", "ReplicaSet"]);

/** The HorizontalPodAutoscalers that target `workload` (same namespace, kind and name). */
export function hpasFor(workload: ResourceView, resources: readonly ResourceView[]): ResourceView[] {
    const name = k8sName(workload);
    const kind = kindOf(workload);
    if (!name || !kind) return [];
    return resources.filter((r) => {
        if (kindOf(r) !== "HorizontalPodAutoscaler" || k8sNamespace(r) !== k8sNamespace(workload)) return false;
        const target = obj(obj(r.props.spec)?.scaleTargetRef);
        return target?.kind === kind && target?.name === name;
    });
}

export interface Replicated {
    resource: ResourceView;
    /** Why it counts as replicated, for messages: "replicas: 3" or "scaled by HPA agent-host (max 5)". */
    why: string;
    podLabels: Record<string, string>;
    podSpec: Record<string, unknown>;
}

/** Workloads that run more than one pod: `replicas > 1`, or scaled by an HPA whose maxReplicas > 1. */
export function replicatedWorkloads(resources: readonly ResourceView[]): Replicated[] {
    return resources.flatMap((r) => {
        if (!SCALABLE.has(kindOf(r) ?? "")) return [];
        const tpl = podTemplate(r);
        if (!tpl) return [];
        const replicas = obj(r.props.spec)?.replicas;
        const hpa = hpasFor(r, resources).find((h) => Number(obj(h.props.spec)?.maxReplicas ?? 1) > 1);
        const why =
            typeof replicas === "number" && replicas > 1
                ? `replicas: ${replicas}`
                : hpa
                  ? `scaled by HorizontalPodAutoscaler ${k8sName(hpa) ?? hpa.name} (maxReplicas ${String(obj(hpa.props.spec)?.maxReplicas)})`
                  : undefined;
        return why ? [{ resource: r, why, podLabels: stringMap(tpl.metadata.labels), podSpec: tpl.spec }] : [];
    });
}

/** "Deployment ai/agent-host" */
export function describe(r: ResourceView): string {
    return `${kindOf(r) ?? r.type} ${k8sNamespace(r) ?? "?"}/${k8sName(r) ?? r.name}`;
}

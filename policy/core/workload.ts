import { containersOf, isWorkload, podTemplate, type ContainerRef } from "./k8s";
import type { ResourceRule, ResourceView, RuleInfo } from "./types";

export interface PodContext {
    resource: ResourceView;
    /** The pod template's metadata (labels, annotations). */
    metadata: Record<string, unknown>;
    /** The pod spec. */
    spec: Record<string, unknown>;
    containers: ContainerRef[];
}

/**
 * A rule over the pod template of every workload the program defines
 * (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod,
 * PodTemplate). Workloads inside Helm releases are invisible to CrossGuard.
 */
export function workloadRule(info: RuleInfo & { check(pod: PodContext): string[]; when?(r: ResourceView): boolean }): ResourceRule {
    const { check, when, ...rest } = info;
    return {
        ...rest,
        scope: "resource",
        appliesTo: (r) => isWorkload(r) && (when ? when(r) : true),
        validate(r) {
            if (!isWorkload(r) || (when && !when(r))) return [];
            const tpl = podTemplate(r);
            if (!tpl) return []; // no template, or not known until the apply: nothing to judge yet
            return check({ resource: r, metadata: tpl.metadata, spec: tpl.spec, containers: containersOf(tpl.spec) });
        },
    };
}

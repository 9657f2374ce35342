import { arr, obj } from "../core/k8s";
import { describe, replicatedWorkloads } from "../core/scaling";
import type { StackRule } from "../core/types";

/** Whether a pod spec spreads its replicas: topology spread constraints or any pod anti-affinity term. */
export function spreads(podSpec: Record<string, unknown>): boolean {
    if (arr(podSpec.topologySpreadConstraints).length > 0) return true;
    const anti = obj(obj(podSpec.affinity)?.podAntiAffinity);
    return (
        anti !== undefined &&
        (arr(anti.requiredDuringSchedulingIgnoredDuringExecution).length > 0 || arr(anti.preferredDuringSchedulingIgnoredDuringExecution).length > 0)
    );
}

export const replicatedSpreads: StackRule = {
    scope: "stack",
    name: "replicated-spread",
    description: "Every replicated workload (replicas > 1 or HPA-scaled) spreads its pods with topologySpreadConstraints or podAntiAffinity.",
    reason: "Replicas the scheduler packs onto one Pi all die with that Pi (SD card, power supply): replication then protects nothing.",
    anchor: "kube-score deployment-has-host-podantiaffinity, statefulset-has-host-podantiaffinity, pod-topology-spread-constraints; Polaris topologySpreadConstraint",
    enforcementLevel: "mandatory",
    validate: (resources) =>
        replicatedWorkloads(resources)
            .filter(({ podSpec }) => !spreads(podSpec))
            .map(({ resource, why }) => ({
                resource,
                message: `${describe(resource)} is replicated (${why}) but sets neither topologySpreadConstraints nor podAntiAffinity`,
            })),
};

import { k8sNamespace, kindOf, obj, selects } from "../core/k8s";
import { describe, replicatedWorkloads } from "../core/scaling";
import type { StackRule } from "../core/types";

export const replicatedHasPdb: StackRule = {
    scope: "stack",
    name: "replicated-pdb",
    description: "Every replicated workload (replicas > 1 or HPA-scaled) is selected by a PodDisruptionBudget that sets minAvailable or maxUnavailable.",
    reason: "A k3s upgrade drains nodes one by one; without a PDB the drain may evict every replica at once and the service goes down during a routine upgrade.",
    anchor: "kube-score deployment-has-poddisruptionbudget, statefulset-has-poddisruptionbudget, poddisruptionbudget-has-policy; Polaris missingPodDisruptionBudget",
    enforcementLevel: "mandatory",
    validate(resources) {
        const pdbs = resources.filter((r) => kindOf(r) === "PodDisruptionBudget");
        return replicatedWorkloads(resources).flatMap(({ resource, why, podLabels }) => {
            const matching = pdbs.filter((p) => k8sNamespace(p) === k8sNamespace(resource) && selects(obj(p.props.spec)?.selector, podLabels));
            if (matching.length === 0) {
                return [{ resource, message: `${describe(resource)} is replicated (${why}) but no PodDisruptionBudget selects its pods` }];
            }
            const withPolicy = matching.some((p) => {
                const spec = obj(p.props.spec) ?? {};
                return spec.minAvailable !== undefined || spec.maxUnavailable !== undefined;
            });
            return withPolicy ? [] : [{ resource, message: `${describe(resource)}: its PodDisruptionBudget sets neither minAvailable nor maxUnavailable` }];
        });
    },
};

import { at, label } from "../core/k8s";
import { workloadRule } from "../core/workload";

const REQUIRED = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

export const containerResources = workloadRule({
    name: "container-resources",
    description: "Every container (and init container) sets cpu and memory requests and limits.",
    reason: "Without requests the scheduler over-packs a 4-8 GiB Pi; without limits one runaway pod starves the node and the kubelet evicts its neighbours.",
    anchor: "kube-score container-resources; Polaris cpuRequestsMissing/memoryRequestsMissing/cpuLimitsMissing/memoryLimitsMissing; Checkov CKV_K8S_10/11/12/13",
    enforcementLevel: "mandatory",
    check: ({ containers }) =>
        containers
            .filter((ref) => !ref.where.startsWith("ephemeralContainers")) // the API refuses resources on ephemeral containers
            .flatMap((ref) => {
                const missing = REQUIRED.filter((p) => {
                    const v = at(ref.c.resources, p);
                    return v === undefined || v === null || v === "";
                });
                return missing.length > 0 ? [`${label(ref)} sets no resources.${missing.join(", resources.")}`] : [];
            }),
});

import { label } from "../core/k8s";
import { effective } from "../core/securityContext";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

export const nonRoot = workloadRule({
    name: "non-root",
    description: "Every container runs with runAsNonRoot: true (pod or container level) and never with runAsUser: 0.",
    reason: "A root process that escapes its container is root on the node — on a Pi that also holds the k3s token and the user's SSH-reachable account.",
    anchor: "PSS restricted: Running as Non-root, Running as Non-root user; Polaris runAsRootAllowed; Checkov CKV_K8S_23, CKV_K8S_40; kube-score container-security-context-user-group-id",
    enforcementLevel: "mandatory",
    check: ({ containers, spec }) =>
        containers.flatMap((ref) => {
            const out: string[] = [];
            const nonRootSet = effective(ref, spec, "runAsNonRoot");
            if (!isUnknown(nonRootSet) && nonRootSet !== true) out.push(`${label(ref)} does not set runAsNonRoot: true (pod or container securityContext)`);
            if (effective(ref, spec, "runAsUser") === 0) out.push(`${label(ref)} runs as UID 0; pick a non-zero runAsUser`);
            return out;
        }),
});

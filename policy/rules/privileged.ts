import { label } from "../core/k8s";
import { containerSecurity } from "../core/securityContext";
import { workloadRule } from "../core/workload";

export const noPrivileged = workloadRule({
    name: "no-privileged",
    description: "No container runs privileged.",
    reason: "A privileged container has every capability and every device of the node: it is the node.",
    anchor: "PSS baseline: Privileged Containers; Polaris runAsPrivileged; Checkov CKV_K8S_16; kube-score container-security-context-privileged",
    enforcementLevel: "mandatory",
    check: ({ containers }) => containers.filter((ref) => containerSecurity(ref).privileged === true).map((ref) => `${label(ref)} runs privileged`),
});

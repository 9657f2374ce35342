import { label } from "../core/k8s";
import { containerSecurity } from "../core/securityContext";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

export const noPrivilegeEscalation = workloadRule({
    name: "no-privilege-escalation",
    description: "Every container sets securityContext.allowPrivilegeEscalation: false.",
    reason: "Left unset it defaults to true: a setuid binary in the image can regain the privileges the other settings removed.",
    anchor: "PSS restricted: Privilege Escalation; Polaris privilegeEscalationAllowed; Checkov CKV_K8S_20",
    enforcementLevel: "mandatory",
    check: ({ containers }) =>
        containers.flatMap((ref) => {
            const v = containerSecurity(ref).allowPrivilegeEscalation;
            return isUnknown(v) || v === false ? [] : [`${label(ref)} does not set allowPrivilegeEscalation: false`];
        }),
});

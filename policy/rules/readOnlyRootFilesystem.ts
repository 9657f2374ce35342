import { label } from "../core/k8s";
import { containerSecurity } from "../core/securityContext";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

export const readOnlyRootFilesystem = workloadRule({
    name: "read-only-root-filesystem",
    description: "Every container sets readOnlyRootFilesystem: true, or opts out with an exemption saying why it must write to its image (advisory).",
    reason: "A writable root filesystem lets an intruder drop tools and persist across restarts of the process; images that need scratch space get an emptyDir instead.",
    anchor: "kube-score container-security-context-readonlyrootfilesystem; Polaris notReadOnlyRootFilesystem; Checkov CKV_K8S_22",
    enforcementLevel: "advisory",
    check: ({ containers }) =>
        containers.flatMap((ref) => {
            const v = containerSecurity(ref).readOnlyRootFilesystem;
            return isUnknown(v) || v === true ? [] : [`${label(ref)} does not set readOnlyRootFilesystem: true`];
        }),
});

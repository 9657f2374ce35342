import { kindOf } from "../core/k8s";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

export const noAutomountedToken = workloadRule({
    name: "no-automounted-token",
    description: "Pods set automountServiceAccountToken: false unless they talk to the API server; those say so with an exemption (advisory).",
    reason: "A mounted token is a credential for the cluster API in every pod's filesystem; most workloads never use it, an intruder always does.",
    anchor: "Checkov CKV_K8S_38; Polaris automountServiceAccountToken",
    enforcementLevel: "advisory",
    check: ({ spec, resource }) => {
        const v = spec.automountServiceAccountToken;
        if (isUnknown(v) || v === false) return [];
        return [`${kindOf(resource) ?? "pod"} template does not set automountServiceAccountToken: false`];
    },
});

import { HELM_RELEASE, isWorkload, k8sName, k8sNamespace, kindOf } from "../core/k8s";
import type { StackRule } from "../core/types";

export const namespaceNetworkPolicy: StackRule = {
    scope: "stack",
    name: "namespace-network-policy",
    description:
        "Every namespace the program creates has at least one NetworkPolicy in it — unless its only workloads come from Helm releases (the chart's pods are invisible to the pack).",
    reason: "Without a NetworkPolicy every pod accepts traffic from every other pod: one compromised chart reaches Redis, PostgreSQL and the agents.",
    anchor: "kube-score pod-networkpolicy; Polaris missingNetworkPolicy; Checkov CKV2_K8S_6",
    enforcementLevel: "mandatory",
    validate(resources) {
        return resources.flatMap((ns) => {
            if (kindOf(ns) !== "Namespace") return [];
            const name = k8sName(ns);
            if (name === undefined) return [];
            const inNs = resources.filter((r) => r !== ns && k8sNamespace(r) === name);
            const ownWorkloads = inNs.filter(isWorkload);
            const releases = resources.filter((r) => r.type === HELM_RELEASE && r.props.namespace === name);
            if (ownWorkloads.length === 0 && releases.length > 0) return []; // chart-only namespace
            if (inNs.some((r) => kindOf(r) === "NetworkPolicy")) return [];
            return [
                {
                    resource: ns,
                    message: `namespace "${name}" has ${ownWorkloads.length > 0 ? `our workloads (${ownWorkloads.map((w) => k8sName(w) ?? w.name).join(", ")})` : "no Helm release"} but no NetworkPolicy; add a default-deny policy and explicit allows`,
                },
            ];
        });
    },
};

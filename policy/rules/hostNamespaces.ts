import { workloadRule } from "../core/workload";

const HOST_FIELDS = ["hostNetwork", "hostPID", "hostIPC"] as const;

export const noHostNamespaces = workloadRule({
    name: "no-host-namespaces",
    description: "No pod shares the node's network, PID or IPC namespace (hostNetwork/hostPID/hostIPC).",
    reason: "A pod in the host network sees every node port (kubelet, k3s supervisor) and bypasses NetworkPolicies; host PID/IPC expose every process on the node.",
    anchor: "PSS baseline: Host Namespaces; Polaris hostNetworkSet/hostPIDSet/hostIPCSet; Checkov CKV_K8S_17/18/19",
    enforcementLevel: "mandatory",
    check: ({ spec }) => HOST_FIELDS.filter((f) => spec[f] === true).map((f) => `pod sets ${f}: true`),
});

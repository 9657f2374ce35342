import { arr, obj } from "../core/k8s";
import { workloadRule } from "../core/workload";

export const noHostPath = workloadRule({
    name: "no-host-path",
    description: "No pod mounts a hostPath volume.",
    reason: "A hostPath mount reaches the node's filesystem — /etc/rancher/k3s holds the cluster admin credentials and the join token.",
    anchor: "PSS baseline: HostPath Volumes; Polaris hostPathSet; Checkov CKV_K8S_27 (docker socket)",
    enforcementLevel: "mandatory",
    check: ({ spec }) =>
        arr(spec.volumes)
            .map(obj)
            .filter((v): v is Record<string, unknown> => v !== undefined && v.hostPath !== undefined && v.hostPath !== null)
            .map((v) => `volume "${String(v.name)}" mounts hostPath ${String(obj(v.hostPath)?.path ?? "")}`.trimEnd()),
});

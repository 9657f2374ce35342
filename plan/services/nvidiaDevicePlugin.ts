import { defineServicePlanner } from "./service";

/** The namespace of the device plugin; Pod Security privileged (host path to the kubelet's device-plugin socket). */
export const DEVICE_PLUGIN_NAMESPACE = "nvidia-device-plugin";
/** The label picluster puts on `gpu: true` nodes (see nodeLabels). */
export const GPU_NODE_LABEL = { "picluster.io/gpu": "true" } as const;

/** NVIDIA's device plugin, on GPU nodes only. */
export const nvidiaDevicePluginPlanner = defineServicePlanner({
    key: "nvidiaDevicePlugin",
    charts: (spec) => [{ chart: "nvidia-device-plugin", repo: spec.repo, version: spec.version }],
    // Privileged for the kubelet's device-plugin host path alone: exempted with that reason in policy/exemptions.ts.
    namespaces: [{ name: DEVICE_PLUGIN_NAMESPACE, podSecurity: "privileged" }],
    appliesTo: ({ nodes }) => nodes.some((n) => n.gpu),
    validate: () => [],
    objects: () => [{ kind: "HelmRelease", namespace: DEVICE_PLUGIN_NAMESPACE, name: "nvidia-device-plugin" }],
    // One small pod on each GPU node; it uses no nvidia.com/gpu itself.
    demands: () => [{ name: "nvidia-device-plugin", cpu: "10m", memory: "32Mi", replicas: 1, perNode: true, gpu: true, gpus: 0, tolerations: [{ operator: "Exists" }] }],
});

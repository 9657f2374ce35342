import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../../config/schema/cluster";
import type { DevicePluginSpec } from "../../../config/schema/gpu";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import type { NamespaceRef } from "../../k8s/namespace";
import { HelmService } from "../helmService";
import { defineService } from "./service";
import { tolerationsOf } from "../../../plan/capacity";
import { DEVICE_PLUGIN_NAMESPACE, GPU_NODE_LABEL } from "../../../plan/services/nvidiaDevicePlugin";

export { DEVICE_PLUGIN_NAMESPACE, GPU_NODE_LABEL };
import type { Values } from "../../../plan/values";

/** The plugin's config for time-slicing: every GPU advertised `replicas` times. */
export function timeSlicingConfig(replicas: number): string {
    return yaml.dump({ version: "v1", sharing: { timeSlicing: { resources: [{ name: "nvidia.com/gpu", replicas }] } } }, { lineWidth: -1 });
}

/** Chart values for nvidia/k8s-device-plugin: GPU nodes only, the nvidia runtime class, as unprivileged as the plugin allows. */
export function devicePluginValues(spec: DevicePluginSpec, gpuNodes: Pick<NodeSpec, "taints">[]): Values {
    return {
        // The plugin must see the driver's libraries and devices: the runtime k3s registered with the toolkit.
        runtimeClassName: "nvidia",
        nodeSelector: { ...GPU_NODE_LABEL },
        // The chart's default affinity asks for node-feature-discovery labels, which a k3s home lab lacks;
        // Helm replaces lists, so this term list replaces the chart's.
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: Object.entries(GPU_NODE_LABEL).map(([key, value]) => ({ key, operator: "In", values: [value] })) }],
                },
            },
        },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, ...tolerationsOf(gpuNodes)],
        // No MIG, no CPU-manager compatibility: then the plugin needs no privileged container.
        migStrategy: "none",
        compatWithCPUManager: false,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
        nfd: { enabled: false },
        gfd: { enabled: false },
        ...(spec.gpuSharing > 1 ? { config: { map: { default: timeSlicingConfig(spec.gpuSharing) }, default: "default" } } : {}),
    };
}

export interface NvidiaDevicePluginArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: DevicePluginSpec;
    skipAwait: boolean;
}

/**
 * The NVIDIA device plugin: a DaemonSet on the `gpu: true` nodes that
 * advertises `nvidia.com/gpu` (times `gpuSharing` with time-slicing), which
 * Ollama's GPU request needs to be scheduled at all.
 */
export class NvidiaDevicePlugin extends pulumi.ComponentResource {
    readonly helm: HelmService;

    constructor(name: string, args: NvidiaDevicePluginArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:NvidiaDevicePlugin", name, {}, opts);
        const gpuNodes = args.cluster.nodes.filter((n) => n.gpu);
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: "nvidia-device-plugin",
                chart: { chart: "nvidia-device-plugin", repo: args.spec.repo, version: args.spec.version },
                defaults: devicePluginValues(args.spec, gpuNodes),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}

/** The NVIDIA device plugin as a built-in service: `picluster:services.nvidiaDevicePlugin`, only when a node is `gpu: true`. */
export const nvidiaDevicePluginService = defineService({
    key: "nvidiaDevicePlugin",
    type: "picluster:platform:NvidiaDevicePlugin",
    create(name, args, opts) {
        const component = new NvidiaDevicePlugin(name, { ...args, namespace: args.namespaces[DEVICE_PLUGIN_NAMESPACE] }, opts);
        return { component, endpoints: {}, credentials: {} };
    },
});

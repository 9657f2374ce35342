import { z } from "zod";
import { pinnedVersion } from "./common";

/** The NVIDIA device plugin chart picluster pins. */
export const DEVICE_PLUGIN_CHART = { chart: "nvidia-device-plugin", repo: "https://nvidia.github.io/k8s-device-plugin", version: "0.17.1" } as const;

/**
 * `services.nvidiaDevicePlugin`: advertises `nvidia.com/gpu` on the nodes
 * declared `gpu: true`. Deployed only when such a node exists.
 */
export const devicePluginSchema = z
    .strictObject({
        enabled: z.boolean().default(true),
        /** Exact chart version of nvidia/k8s-device-plugin. */
        version: pinnedVersion.default(DEVICE_PLUGIN_CHART.version),
        repo: z.string().regex(/^https:\/\/\S+$/, "must be an https:// chart repository").default(DEVICE_PLUGIN_CHART.repo),
        /**
         * Time-slicing: each physical GPU is advertised as this many
         * `nvidia.com/gpu`, so Ollama and, say, JupyterHub can share one card
         * (no memory isolation between them). 1 = no sharing.
         */
        gpuSharing: z.number().int().min(1).max(64).default(1),
        values: z.record(z.string(), z.unknown()).default({}),
        timeoutSeconds: z.number().int().min(60).max(3600).default(300),
    })
    .prefault({});

export type DevicePluginSpec = z.output<typeof devicePluginSchema>;

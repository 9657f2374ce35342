import { z } from "zod";
import { byteQuantity, cpuQuantity, pinnedVersion } from "./common";

/** Where the platform's volumes live. */
export const storageKinds = ["local-path", "longhorn"] as const;
export type StorageKind = (typeof storageKinds)[number];

/** The StorageClass the Longhorn chart creates (its name is fixed by the chart). */
export const LONGHORN_STORAGE_CLASS = "longhorn";

const resourcePair = z.strictObject({ cpu: cpuQuantity, memory: byteQuantity });

/** Replicated block storage: the upstream Longhorn chart, pinned. */
export const longhornSchema = z
    .strictObject({
        /** Exact chart version (charts.longhorn.io; the chart is longhorn/longhorn's chart/ at tag v<version>). */
        // renovate: datasource=helm depName=longhorn registryUrl=https://charts.longhorn.io
        version: pinnedVersion.default("1.12.1"),
        repo: z
            .string()
            .regex(/^(https:\/\/|oci:\/\/)\S+$/, "must be an https:// chart repository or an oci:// registry path")
            .default("https://charts.longhorn.io"),
        /**
         * Copies of each volume, each on a different node. Defaults to
         * min(3, nodes that can hold a replica): every declared node without
         * a NoSchedule/NoExecute taint, of either architecture.
         */
        replicas: z.number().int().min(1).max(5).optional(),
        /** longhorn-manager, one per node. */
        managerResources: z
            .strictObject({ requests: resourcePair.partial().optional(), limits: resourcePair.partial().optional() })
            .default({})
            .transform((r) => ({ requests: { cpu: "50m", memory: "192Mi", ...r.requests }, limits: { cpu: "1", memory: "768Mi", ...r.limits } })),
        /** Per-stack Helm values deep-merged over the program's. */
        values: z.record(z.string(), z.unknown()).default({}),
        timeoutSeconds: z.number().int().min(60).max(3600).default(900),
    })
    .prefault({});

/**
 * `picluster:services.storage`: `local-path` (k3s's, one node's disk, the
 * default) or `longhorn` (each volume replicated across nodes). The chosen
 * kind's class is the platform's storage class unless
 * `services.storageClass` names another.
 */
export const storageSchema = z
    .strictObject({
        kind: z.enum(storageKinds, { error: `must be one of ${storageKinds.join(", ")} (local-path: k3s's volumes on one node's disk; longhorn: replicated across nodes)` }).default("local-path"),
        longhorn: longhornSchema,
    })
    .prefault({});

export type StorageSpec = z.output<typeof storageSchema>;
export type LonghornSpec = StorageSpec["longhorn"];

import { defineServicePlanner } from "./service";

export const ROCKETCHAT_NAMESPACE = "rocketchat";
/** The MongoDB exporter sidecar: small and fixed. */
export const MONGODB_EXPORTER_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
/**
 * percona/mongodb_exporter, multi-arch (amd64, arm64), MongoDB 6.0 and newer
 * (its README); tag and index digest as CloudPirates-io/helm-charts pins it
 * (charts/mongodb/values.yaml @42c4b8d, Renovate).
 */
export const MONGODB_EXPORTER_IMAGE = "percona/mongodb_exporter:0.49.0@sha256:ff224c78c48f252191f2745ca87cf5c6e384c404f89d7f40332809cbb5c8da7a";

/**
 * Rocket.Chat's own MongoDB (components/platform/services/rocketchatMongo.ts):
 * a StatefulSet and headless Service of this name, a one-member replica set
 * (Rocket.Chat needs the oplog), its database and user. The name differs
 * from the Bitnami subchart's (`rocketchat-mongodb`), so its volume
 * (`data-rocketchat-mongo-0`) never opens the old 6.0 data directory.
 */
export const ROCKETCHAT_MONGO = {
    name: "rocketchat-mongo",
    port: 27017,
    metricsPort: 9216,
    replicaSet: "rs0",
    database: "rocketchat",
    user: "rocketchat",
    metricsUser: "metrics",
    rootUser: "root",
} as const;

/** Rocket.Chat and its MongoDB: amd64 only (the image is amd64-only, RocketChat/Rocket.Chat#37647; MongoDB 5+ needs ARMv8.2). */
export const rocketchatPlanner = defineServicePlanner({
    key: "rocketchat",
    charts: (spec) => [{ chart: "rocketchat", repo: spec.repo, version: spec.version }],
    // The chart sets no seccomp profile.
    namespaces: [{ name: ROCKETCHAT_NAMESPACE, podSecurity: "baseline" }],
    // The compatibility table (plan/compat) checks the MongoDB version against Rocket.Chat's floor.
    validate: () => [],
    objects: () => [
        { kind: "HelmRelease", namespace: ROCKETCHAT_NAMESPACE, name: "rocketchat" },
        { kind: "Service", namespace: ROCKETCHAT_NAMESPACE, name: "rocketchat-rocketchat" },
        { kind: "Service", namespace: ROCKETCHAT_NAMESPACE, name: ROCKETCHAT_MONGO.name },
    ],
    webUIs: () => [{ name: "chat", namespace: ROCKETCHAT_NAMESPACE, service: "rocketchat-rocketchat", port: 80, login: "Rocket.Chat's own accounts (the first visit creates the admin)" }],
    demands(spec, ctx) {
        // The arch is the demand's own field; the rest of the selector is the user's.
        const nodeSelector = Object.fromEntries(Object.entries(spec.nodeSelector).filter(([k]) => k !== "kubernetes.io/arch"));
        return [
            { name: "rocketchat", ...spec.resources.requests, limitMemory: spec.resources.limits.memory, limitKey: "services.rocketchat.resources.limits.memory", replicas: 1, arch: "amd64", nodeSelector },
            { name: "rocketchat/mongodb", ...spec.mongodbResources.requests, limitMemory: spec.mongodbResources.limits.memory, limitKey: "services.rocketchat.mongodbResources.limits.memory", replicas: 1, storage: spec.storage.size, storageClass: spec.storage.storageClass, arch: "amd64", nodeSelector },
            // its metrics exporter sidecar runs when monitoring does
            ...(ctx.services.monitoring.enabled
                ? [{ name: "rocketchat/mongodb-exporter", ...MONGODB_EXPORTER_RESOURCES.requests, replicas: 1, arch: "amd64" as const, nodeSelector }]
                : []),
        ];
    },
});

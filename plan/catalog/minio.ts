import type { CatalogPreset } from "./types";

/** MinIO's images, pinned: the release the 5.4.0 chart ships (MinIO tags are RELEASE.<UTC timestamp>). */
export const MINIO_IMAGES = {
    // renovate: datasource=docker depName=quay.io/minio/minio
    server: "RELEASE.2024-12-18T13-15-44Z",
    // renovate: datasource=docker depName=quay.io/minio/mc
    mc: "RELEASE.2024-11-21T17-21-54Z",
};
/** The bucket the minio preset creates: what the docs' backups.s3 example names. */
export const MINIO_BUCKET = "picluster-backups";

/** A non-root, seccomp-confined pod and container with no privileges (what the restricted Pod Security level asks). */
const RESTRICTED_POD = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };

/**
 * S3-compatible storage for users without S3: one MinIO server on one
 * volume. Inside the cluster it protects it is no backup target (the plan
 * warns); docs/operations.md shows MinIO on a workstation or NAS.
 */
export const minioPreset: CatalogPreset = {
    chart: "minio",
    repo: "https://charts.min.io/",
    version: "5.4.0",
    namespace: "minio",
    podSecurity: "restricted",
    requests: { cpu: "100m", memory: "512Mi" },
    storage: "50Gi",
    // The chart's fullname (as helmFullname in catalog.ts; not imported: catalog.ts imports this file).
    service: { name: (r) => (r.includes("minio") ? r : `${r}-minio`).slice(0, 63).replace(/-+$/, ""), port: 9000 },
    health: { path: "/minio/health/live" },
    nodeSelectorPaths: ["nodeSelector"],
    // The console (the chart's `<fullname>-console` Service), signed into with the root credentials.
    ui: {
        subdomain: "minio",
        service: (r) => `${(r.includes("minio") ? r : `${r}-minio`).slice(0, 63).replace(/-+$/, "")}-console`,
        port: 9001,
        login: (e) => `the root user and password: pulumi config get ${e.secretValues.rootUser ?? "<rootUser key>"}; pulumi config get ${e.secretValues.rootPassword ?? "<rootPassword key>"}`,
    },
    // No generated or default credential: the root user and password come from secret config only,
    // into a Secret the chart reads (existingSecret), never through Helm values.
    requiredSecretValues: ["rootUser", "rootPassword"],
    configSecret: { name: "minio-root", keys: { rootUser: "rootUser", rootPassword: "rootPassword" } },
    values: ({ storageClass }) => ({
        image: { repository: "quay.io/minio/minio", tag: MINIO_IMAGES.server },
        mcImage: { repository: "quay.io/minio/mc", tag: MINIO_IMAGES.mc },
        existingSecret: "minio-root",
        mode: "standalone",
        replicas: 1,
        persistence: { enabled: true, size: "50Gi", storageClass },
        // The chart asks for 16Gi of memory by default.
        resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        securityContext: { enabled: true, fsGroupChangePolicy: "OnRootMismatch", ...RESTRICTED_POD },
        containerSecurityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false },
        // The chart's default console user has a published password: none.
        users: [],
        policies: [],
        svcaccts: [],
        buckets: [{ name: MINIO_BUCKET, policy: "none", purge: false }],
        postJob: { securityContext: { enabled: true, ...RESTRICTED_POD } },
        makeBucketJob: {
            securityContext: { enabled: true },
            containerSecurityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        },
        service: { type: "ClusterIP" },
        consoleService: { type: "ClusterIP" },
    }),
};

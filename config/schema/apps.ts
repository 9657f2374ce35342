import { z } from "zod";
import { dnsLabel, ingressHost, labels, pinnedImage } from "./common";
import { archSchema, serviceResources } from "./services";

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as DATABASE_URL");
const httpPath = z.string().regex(/^\/\S*$/, "must be an absolute HTTP path such as /healthz");

/** How a probe checks the app: an HTTP GET on a path, or a TCP connect to the port. */
const probeSchema = z.union([z.strictObject({ httpGet: httpPath }), z.strictObject({ tcp: z.literal(true) })]);

export const appSchema = z.strictObject({
    /** Deployment, Service and (by default) namespace name. */
    name: dnsLabel,
    enabled: z.boolean().default(true),
    namespace: dnsLabel.optional(),
    /** Pinned image (tag with major.minor at least, or a digest). */
    image: pinnedImage,
    port: z.number().int().min(1).max(65535),
    replicas: z.number().int().min(1).max(50).default(1),
    arch: archSchema.optional(),
    nodeSelector: labels.default({}),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    /** Plain environment variables. */
    env: z.record(envName, z.string()).default({}),
    /** Environment variable → name of a secret config key under `picluster:` (set with --secret). */
    secrets: z.record(envName, z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. placemyparentsApiKey")).default({}),
    /** A PostgreSQL database (created in services.postgres) whose credentials are injected as PG* env and DATABASE_URL. */
    postgres: z.strictObject({ database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier") }).optional(),
    resources: serviceResources({ cpu: "100m", memory: "128Mi" }, { cpu: "500m", memory: "256Mi" }),
    readinessProbe: probeSchema.default({ tcp: true }),
    livenessProbe: probeSchema.default({ tcp: true }),
    /** UID the container runs as; never 0. */
    runAsUser: z.number().int().min(1, "must not be 0 (root); pick the image's non-root UID").default(10001),
    /** Mount the root filesystem read-only (an emptyDir is mounted at /tmp). */
    readOnlyRootFilesystem: z.boolean().default(true),
    service: z
        .strictObject({
            type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP"),
            port: z.number().int().min(1).max(65535).default(80),
        })
        .prefault({}),
    /** A route from the LAN (plan/ingress): TLS always, from cert-manager unless tlsSecretName names your own certificate's Secret. */
    ingress: z
        .strictObject({
            /** Defaults to `<name>.<network.domain>`. */
            host: ingressHost.optional(),
            path: httpPath.default("/"),
            className: z.string().optional(),
            tlsSecretName: dnsLabel.optional(),
            /** Put the generated basic-auth login in front (for an app without a login of its own). */
            auth: z.boolean().default(false),
        })
        .optional(),
    /** Namespaces this app may open connections to (DNS is always allowed); `internet` allows egress outside the cluster. */
    egress: z
        .strictObject({ namespaces: z.array(dnsLabel).default([]), internet: z.boolean().default(false) })
        .prefault({}),
});

export const appsSchema = z
    .array(appSchema)
    .default([])
    .superRefine((apps, ctx) => {
        const seen = new Map<string, number>();
        apps.forEach((a, i) => {
            const key = `${a.namespace ?? a.name}/${a.name}`;
            const prev = seen.get(key);
            if (prev !== undefined) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicates apps[${prev}].name '${a.name}' in the same namespace` });
            else seen.set(key, i);
        });
    });

export type AppSpec = z.output<typeof appSchema>;
export type AppsSpec = z.output<typeof appsSchema>;

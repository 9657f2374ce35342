import type { CatalogEntrySpec } from "../../config/schema/services";
import type { PodSecurityLevel } from "../../config/podSecurity";
import { nodeSelectorFor, setPath, type Values } from "../values";
import { minioPreset } from "./minio";
import type { CatalogPreset, ChartRef, PresetContext } from "./types";
import { credentialCommand, NODE_PORT_ANNOTATION } from "../ingress/names";

export type { CatalogPreset, ChartRef };

/*
 * The catalog's presets (pinned charts with values that suit a Pi cluster)
 * and how an entry of `picluster:services.catalog` resolves against them.
 * Pure data and functions: the plan resolves each entry once.
 */

/** The usual `<chart>.fullname` helper: the release name when it contains the chart name, else `release-chart`. */
export function helmFullname(release: string, chart: string): string {
    return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 63).replace(/-+$/, "");
}

/** Egress rules for notebooks: Ollama (its namespace, or the external CIDR) and PostgreSQL's namespace, each on its port. */
export function notebookEgress(platform: Pick<PresetContext, "ollama" | "postgres">): Values[] {
    const rules: Values[] = [];
    if (platform.ollama) rules.push(platform.ollama.egress);
    if (platform.postgres) {
        rules.push({ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": platform.postgres.namespace } } }], ports: [{ protocol: "TCP", port: platform.postgres.port }] });
    }
    return rules;
}

/** The node port the registry preset's cache listens on, on every node. */
export const REGISTRY_NODE_PORT = 30500;

export const catalogPresets: Record<"jupyterhub" | "rabbitmq" | "headlamp" | "registry" | "minio", CatalogPreset> = {
    // z2jh: hub and proxy images are multi-arch; user pods are spawned on demand and not counted.
    jupyterhub: {
        chart: "jupyterhub",
        repo: "https://hub.jupyter.org/helm-chart/",
        version: "4.3.3",
        namespace: "jupyterhub",
        podSecurity: "baseline",
        requests: { cpu: "150m", memory: "384Mi" },
        service: { name: () => "proxy-public", port: 80 },
        health: { path: "/hub/health" },
        nodeSelectorPaths: ["hub.nodeSelector", "proxy.chp.nodeSelector", "singleuser.nodeSelector"],
        values: ({ storageClass, ollama, postgres }) => ({
            hub: {
                resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                config: { JupyterHub: { authenticator_class: "dummy" } },
            },
            proxy: {
                service: { type: "ClusterIP" },
                chp: { resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
            },
            // Image pre-pulling and the user scheduler cost a pod per node; a home lab does without.
            prePuller: { hook: { enabled: false }, continuous: { enabled: false } },
            scheduling: { userScheduler: { enabled: false }, userPlaceholder: { enabled: false } },
            singleuser: {
                // The default init container that blocks the cloud metadata address runs privileged with
                // NET_ADMIN, which the namespace's baseline Pod Security refuses: no user server would start.
                // The singleuser NetworkPolicy (egressAllowRules.cloudMetadataServer: false) blocks it instead.
                cloudMetadata: { blockWithIptables: false },
                cpu: { guarantee: 0.1, limit: 1 },
                memory: { guarantee: "512M", limit: "1G" },
                storage: { capacity: "2Gi", dynamic: { storageClass } },
                // z2jh lets notebooks reach the internet but no private address, so no in-cluster Service:
                // open the platform's own (Ollama, PostgreSQL) when the config enables them.
                networkPolicy: { egress: notebookEgress({ ollama, postgres }) },
                ...(ollama ? { extraEnv: { OLLAMA_HOST: ollama.url } } : {}),
            },
            cull: { enabled: true, timeout: 3600 },
        }),
        // The shared password of the dummy authenticator; switch to a real authenticator through values.
        generatedValues: ["hub.config.DummyAuthenticator.password"],
        ui: {
            subdomain: "jupyter",
            service: () => "proxy-public",
            port: 80,
            login: (e) => `any user name; the shared password: ${credentialCommand(`${e.name}/hub.config.DummyAuthenticator.password`)}`,
        },
    },
    // CloudPirates' chart on the official rabbitmq image (multi-arch, maintained by docker-library): Bitnami's
    // images are frozen under bitnamilegacy (plan/compat/images.ts). Its pod is restricted-clean as shipped
    // (uid 999, read-only root, no capabilities, seccomp RuntimeDefault).
    rabbitmq: {
        chart: "rabbitmq",
        repo: "oci://registry-1.docker.io/cloudpirates",
        version: "0.21.18",
        namespace: "rabbitmq",
        podSecurity: "restricted",
        requests: { cpu: "250m", memory: "512Mi" },
        service: { name: (r) => helmFullname(r, "rabbitmq"), port: 5672 },
        // The management plugin's page (no login needed to serve it): the broker answers HTTP.
        health: { port: 15672, path: "/" },
        nodeSelectorPaths: ["nodeSelector"],
        values: ({ storageClass, monitoring }) => ({
            replicaCount: 1,
            // rabbitmq_prometheus (on in the image) on the Service's port 15692, scraped through the chart's ServiceMonitor with monitoring.
            metrics: { enabled: true, serviceMonitor: { enabled: monitoring ?? false } },
            resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
            // The Erlang-cookie init container (busybox); the chart leaves it without resources.
            initContainer: { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } } },
            persistence: { enabled: true, size: "8Gi", storageClass },
            auth: { username: "picluster", existingSecret: "rabbitmq-auth", existingPasswordKey: "rabbitmq-password", existingErlangCookieKey: "rabbitmq-erlang-cookie" },
        }),
        generatedSecret: { name: "rabbitmq-auth", keys: ["rabbitmq-password", "rabbitmq-erlang-cookie"] },
        // The management UI, on the same Service.
        ui: { subdomain: "rabbitmq", service: (r) => helmFullname(r, "rabbitmq"), port: 15672, login: (e) => `user picluster; password: ${credentialCommand(`${e.name}/rabbitmq-password`)}` },
    },
    headlamp: {
        chart: "headlamp",
        repo: "https://kubernetes-sigs.github.io/headlamp/",
        version: "0.33.0",
        namespace: "headlamp",
        podSecurity: "baseline",
        requests: { cpu: "50m", memory: "128Mi" },
        service: { name: (r) => helmFullname(r, "headlamp"), port: 80 },
        health: { path: "/" },
        nodeSelectorPaths: ["nodeSelector"],
        values: () => ({
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            service: { type: "ClusterIP" },
            // No cluster-admin binding for Headlamp's own account: users sign in with their own token.
            clusterRoleBinding: { create: false },
        }),
        ui: { subdomain: "headlamp", service: (r) => helmFullname(r, "headlamp"), port: 80, login: () => "a Kubernetes token of an account you bind a role to: kubectl -n <namespace> create token <account>" },
    },
    // A pull-through cache of Docker Hub (distribution in proxy mode), for
    // cluster.registries.mirrors["docker.io"]. It caches every layer any node
    // pulls through it, so its volume grows with the images the cluster uses.
    registry: {
        chart: "docker-registry",
        repo: "https://helm.twun.io",
        version: "2.2.3",
        namespace: "registry",
        podSecurity: "restricted",
        requests: { cpu: "50m", memory: "128Mi" },
        service: { name: (r) => helmFullname(r, "docker-registry"), port: 5000 },
        health: { path: "/v2/" },
        nodeSelectorPaths: ["nodeSelector"],
        values: ({ storageClass }) => ({
            // The distribution image, pinned; multi-arch (amd64, arm64).
            image: { repository: "registry", tag: "2.8.3" },
            replicaCount: 1,
            proxy: { enabled: true, remoteurl: "https://registry-1.docker.io" },
            persistence: { enabled: true, size: "20Gi", storageClass, deleteEnabled: true },
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
            // containerd on each node resolves names with the host's DNS, not
            // the cluster's: a fixed NodePort gives mirrors a stable address.
            service: {
                type: "NodePort",
                port: 5000,
                nodePort: REGISTRY_NODE_PORT,
                // The preset is the key that opts in (policy rule node-port-opt-in).
                annotations: { [NODE_PORT_ANNOTATION]: "services.catalog[].preset registry: containerd on every node reaches the cache at the node's own address (it cannot resolve Service names)" },
            },
            securityContext: { enabled: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containerSecurityContext: {
                enabled: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
            },
        }),
    },
    minio: minioPreset,
};

/** What a catalog entry resolves to once its preset (if any) is applied. */
export interface ResolvedCatalogEntry {
    name: string;
    chart: ChartRef;
    namespace: string;
    podSecurity: PodSecurityLevel;
    requests?: { cpu: string; memory: string };
    nodeSelector: Record<string, string>;
    defaults: Values;
    /** The entry's own values, deep-merged over the defaults. */
    values: Values;
    timeoutSeconds: number;
    /** The entry's own skipAwait (undefined: services.skipAwait). */
    skipAwait?: boolean;
    preset?: CatalogPreset;
}

/** Applies the preset and the entry's fields over it. */
export function resolveCatalogEntry(entry: CatalogEntrySpec, storageClass: string, platform: Omit<PresetContext, "storageClass"> = {}): ResolvedCatalogEntry {
    const preset = entry.preset ? catalogPresets[entry.preset] : undefined;
    const nodeSelector = nodeSelectorFor({ arch: entry.arch, nodeSelector: entry.nodeSelector });
    let defaults: Values = preset ? preset.values({ storageClass, ...platform }) : {};
    const paths = preset ? preset.nodeSelectorPaths : ["nodeSelector"];
    if (Object.keys(nodeSelector).length > 0) for (const p of paths) defaults = setPath(defaults, p, nodeSelector);
    return {
        name: entry.name,
        chart: {
            chart: entry.chart ?? (preset as CatalogPreset).chart,
            repo: entry.repo ?? (preset as CatalogPreset).repo,
            version: entry.version ?? (preset as CatalogPreset).version,
        },
        namespace: entry.namespace ?? preset?.namespace ?? entry.name,
        podSecurity: entry.podSecurity ?? preset?.podSecurity ?? "baseline",
        requests: entry.requests ?? preset?.requests,
        nodeSelector,
        defaults,
        values: entry.values,
        timeoutSeconds: entry.timeoutSeconds,
        skipAwait: entry.skipAwait,
        preset,
    };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { CatalogEntrySpec } from "../../../stacks/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { HelmService, type ChartRef } from "../helmService";
import { standardLabels, type PodSecurityLevel } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { nodeSelectorFor, setPath, type Values } from "../values";
import { minioPreset } from "./minioPreset";

/** A ready-made catalog entry: a pinned chart plus values that suit a Pi cluster. */
export interface CatalogPreset extends ChartRef {
    namespace: string;
    podSecurity: PodSecurityLevel;
    /** Total requests of the chart's long-running pods, for the capacity check. */
    requests: { cpu: string; memory: string };
    /** The chart's main Service, from the release name. */
    service?: { name: (release: string) => string; port: number };
    /** Helm value paths that receive the entry's node selector. */
    nodeSelectorPaths: string[];
    values: (ctx: { storageClass: string }) => Values;
    /** A Kubernetes Secret the values reference by name, with one generated password per key. */
    generatedSecret?: { name: string; keys: string[] };
    /** Helm value paths that get a generated password (as a secret Output) when the chart cannot read a Secret. */
    generatedValues?: string[];
    /** Helm value paths the entry must fill from secret config (`secretValues`); the plan refuses the entry without them. */
    requiredSecretValues?: string[];
    /**
     * A Secret the values reference by name, filled from the entry's
     * `secretValues` (Secret key → secretValues path); those paths then stay
     * out of the Helm values.
     */
    configSecret?: { name: string; keys: Record<string, string> };
    /** Size of the chart's volume, for the disk check. */
    storage?: string;
}

/** The usual `<chart>.fullname` helper: the release name when it contains the chart name, else `release-chart`. */
export function helmFullname(release: string, chart: string): string {
    return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 63).replace(/-+$/, "");
}

/**
 * Bitnami's free images were frozen under `bitnamilegacy` in Aug 2025; its
 * charts refuse non-default repositories unless allowInsecureImages is set.
 */
export function bitnamiLegacy(images: Record<string, string>): Values {
    let v: Values = { global: { security: { allowInsecureImages: true } } };
    for (const [path, repo] of Object.entries(images)) v = setPath(v, `${path}.repository`, `bitnamilegacy/${repo}`);
    return v;
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
        nodeSelectorPaths: ["hub.nodeSelector", "proxy.chp.nodeSelector", "singleuser.nodeSelector"],
        values: ({ storageClass }) => ({
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
            },
            cull: { enabled: true, timeout: 3600 },
        }),
        // The shared password of the dummy authenticator; switch to a real authenticator through values.
        generatedValues: ["hub.config.DummyAuthenticator.password"],
    },
    rabbitmq: {
        chart: "rabbitmq",
        repo: "oci://registry-1.docker.io/bitnamicharts",
        version: "16.0.14",
        namespace: "rabbitmq",
        podSecurity: "restricted",
        requests: { cpu: "250m", memory: "512Mi" },
        service: { name: (r) => helmFullname(r, "rabbitmq"), port: 5672 },
        nodeSelectorPaths: ["nodeSelector"],
        values: ({ storageClass }) => ({
            ...bitnamiLegacy({ image: "rabbitmq", "volumePermissions.image": "os-shell" }),
            replicaCount: 1,
            resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
            persistence: { enabled: true, size: "8Gi", storageClass },
            auth: { username: "picluster", existingPasswordSecret: "rabbitmq-auth", existingErlangSecret: "rabbitmq-auth" },
        }),
        generatedSecret: { name: "rabbitmq-auth", keys: ["rabbitmq-password", "rabbitmq-erlang-cookie"] },
    },
    headlamp: {
        chart: "headlamp",
        repo: "https://kubernetes-sigs.github.io/headlamp/",
        version: "0.33.0",
        namespace: "headlamp",
        podSecurity: "baseline",
        requests: { cpu: "50m", memory: "128Mi" },
        service: { name: (r) => helmFullname(r, "headlamp"), port: 80 },
        nodeSelectorPaths: ["nodeSelector"],
        values: () => ({
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            service: { type: "ClusterIP" },
            // No cluster-admin binding for Headlamp's own account: users sign in with their own token.
            clusterRoleBinding: { create: false },
        }),
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
            service: { type: "NodePort", port: 5000, nodePort: REGISTRY_NODE_PORT },
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
    preset?: CatalogPreset;
}

/** Applies the preset and the entry's fields over it. */
export function resolveCatalogEntry(entry: CatalogEntrySpec, storageClass: string): ResolvedCatalogEntry {
    const preset = entry.preset ? catalogPresets[entry.preset] : undefined;
    const nodeSelector = nodeSelectorFor({ arch: entry.arch, nodeSelector: entry.nodeSelector });
    let defaults: Values = preset ? preset.values({ storageClass }) : {};
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
        preset,
    };
}

export interface CatalogReleaseArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    /** The entry with its preset applied (by the plan). */
    resolved: ResolvedCatalogEntry;
    /** Helm value path → secret, already read from config (`secretValues`). */
    secretValues: Record<string, pulumi.Output<string>>;
    skipAwait: boolean;
}

/** Any other chart from config, with its preset's hardened defaults and secrets kept secret. */
export class CatalogRelease extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly endpoint?: string;
    /** Generated passwords by key (secret). */
    readonly generated: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: CatalogReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:CatalogRelease", name, {}, opts);
        const resolved = args.resolved;
        const gen = (what: string) => pulumi.secret(new random.RandomPassword(`${name}-${what}`, { length: 32, special: false }, { parent: this }).result);
        const deps: pulumi.Resource[] = [];
        const preset = resolved.preset;
        if (preset?.generatedSecret) {
            const data: Record<string, pulumi.Output<string>> = {};
            for (const key of preset.generatedSecret.keys) data[key] = this.generated[key] = gen(key);
            deps.push(
                new k8s.core.v1.Secret(
                    `${name}-${preset.generatedSecret.name}`,
                    {
                        metadata: { name: preset.generatedSecret.name, namespace: args.namespace.name, labels: standardLabels(resolved.name, "credentials") },
                        stringData: data,
                    },
                    { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
                ),
            );
        }
        const fromConfig = new Set(Object.values(preset?.configSecret?.keys ?? {}));
        if (preset?.configSecret) {
            const data = Object.fromEntries(Object.entries(preset.configSecret.keys).map(([key, path]) => [key, pulumi.secret(args.secretValues[path])]));
            deps.push(
                new k8s.core.v1.Secret(
                    `${name}-${preset.configSecret.name}`,
                    { metadata: { name: preset.configSecret.name, namespace: args.namespace.name, labels: standardLabels(resolved.name, "credentials") }, stringData: data },
                    { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
                ),
            );
        }
        const secretValues: Record<string, pulumi.Output<string>> = {};
        for (const path of preset?.generatedValues ?? []) {
            // A value from config wins over a generated one.
            if (!(path in args.secretValues)) secretValues[path] = this.generated[path] = gen(path.split(".").pop() as string);
        }
        for (const [path, value] of Object.entries(args.secretValues)) if (!fromConfig.has(path)) secretValues[path] = value;
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: resolved.name,
                chart: resolved.chart,
                defaults: resolved.defaults,
                overrides: resolved.values,
                secretValues,
                timeoutSeconds: resolved.timeoutSeconds,
                skipAwait: args.skipAwait,
                dependsOn: deps,
            },
            { parent: this },
        );
        if (preset?.service) this.endpoint = `${preset.service.name(resolved.name)}.${args.namespace.name}.svc.cluster.local:${preset.service.port}`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { HelmService } from "../helmService";
import type { ResolvedCatalogEntry } from "../../../plan/catalog/presets";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";

export interface CatalogReleaseArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    /** The entry with its preset applied (by the plan). */
    resolved: ResolvedCatalogEntry;
    /** Helm value path → secret, already read from config (`secretValues`). */
    secretValues: Record<string, pulumi.Output<string>>;
    skipAwait: boolean;
    /** What must exist first (kube-prometheus-stack's release, for a preset's ServiceMonitor). */
    dependsOn?: pulumi.Resource[];
}

/** The CatalogRelease component's type token (npm run deploy finds catalog entries in state by it). */
export const CATALOG_RELEASE_TYPE = "picluster:platform:CatalogRelease";

/** Any other chart from config, with its preset's hardened defaults and secrets kept secret. */
export class CatalogRelease extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly endpoint?: string;
    /** Generated passwords by key (secret). */
    readonly generated: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: CatalogReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CATALOG_RELEASE_TYPE, name, {}, opts);
        const resolved = args.resolved;
        const gen = (what: string) => pulumi.secret(new random.RandomPassword(`${name}-${what}`, { length: 32, special: false }, { parent: this }).result);
        const deps: pulumi.Resource[] = [...(args.dependsOn ?? [])];
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
                skipAwait: resolved.skipAwait ?? args.skipAwait,
                dependsOn: deps,
            },
            { parent: this },
        );
        if (preset?.service) this.endpoint = `${preset.service.name(resolved.name)}.${args.namespace.name}.svc.cluster.local:${preset.service.port}`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

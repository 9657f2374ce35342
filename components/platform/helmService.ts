import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../cluster/clusterTarget";
import type { NamespaceRef } from "../k8s/namespace";
import type { ChartRef } from "../../plan/catalog/presets";
import { deepMerge, setPath, type Values } from "../../plan/values";
import { ReleaseReadiness } from "./releaseReadiness";

export type { ChartRef };

export interface HelmServiceArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    /** Helm release name (fixed: chart resource names derive from it). */
    releaseName: string;
    chart: ChartRef;
    /** The component's defaults (placement, resources, storage class, hardened settings). */
    defaults: Values;
    /** Per-stack overrides from config, deep-merged over the defaults. */
    overrides?: Values;
    /** Helm value path → secret; set last so config can never replace a generated secret with plain text. */
    secretValues?: Record<string, pulumi.Output<string>>;
    /** Seconds the release's workloads may take to become ready (and Helm its hooks) before `up` fails with why. */
    timeoutSeconds: number;
    /** Do not wait for readiness: for an API server without kubelets. */
    skipAwait: boolean;
    /** Other resources that must exist first (CRDs, Secrets the chart references). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The values a release gets: defaults, then overrides, then secrets (each a secret Output leaf). */
export function releaseValues(args: Pick<HelmServiceArgs, "defaults" | "overrides" | "secretValues">): Values {
    let values = deepMerge(args.defaults, args.overrides ?? {});
    for (const [path, secret] of Object.entries(args.secretValues ?? {})) values = setPath(values, path, pulumi.secret(secret));
    return values;
}

/**
 * The pure part of a release: chart, repo, version, namespace, values, and
 * Helm neither waiting nor rolling back: the release's ReleaseReadiness
 * waits, and a release that fails keeps its pods for the diagnosis.
 */
export function releaseArgs(args: Omit<HelmServiceArgs, "cluster" | "dependsOn">): k8s.helm.v3.ReleaseArgs {
    const oci = args.chart.repo.startsWith("oci://");
    return {
        name: args.releaseName,
        namespace: args.namespace.name,
        chart: oci ? `${args.chart.repo.replace(/\/$/, "")}/${args.chart.chart}` : args.chart.chart,
        version: args.chart.version,
        ...(oci ? {} : { repositoryOpts: { repo: args.chart.repo } }),
        values: releaseValues(args),
        // Atomic would uninstall (or roll back) a failed release before anyone read why, and its
        // error names no cause; the ReleaseReadiness after the release waits instead (helmService below).
        atomic: false,
        skipAwait: true,
        cleanupOnFail: true,
        timeout: args.timeoutSeconds,
        createNamespace: false,
        maxHistory: 5,
    };
}

/**
 * The base of every chart-backed service: one `helm.v3.Release` (previews
 * work while the cluster is still being created), pinned to a chart version
 * and repository, values deep-merged from the component's defaults and the
 * stack's overrides, on the cluster's provider, after the namespace (which
 * waits for the cluster to be ready); then, unless `skipAwait`, a
 * ReleaseReadiness that waits up to `timeoutSeconds` for its workloads and
 * fails `up` with the diagnosis when they are not ready.
 */
export class HelmService extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** The bounded wait for the release's workloads (undefined with skipAwait). */
    readonly readiness?: ReleaseReadiness;
    /** What a resource that needs the release running (its webhooks, its storage class) depends on. */
    readonly ready: pulumi.Resource;
    /** The values the release was given (secret leaves are Outputs). */
    readonly values: Values;

    constructor(name: string, args: HelmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:HelmService", name, {}, opts);
        const ra = releaseArgs(args);
        this.values = ra.values as Values;
        this.release = new k8s.helm.v3.Release(name, ra, {
            parent: this,
            provider: args.cluster.provider,
            dependsOn: [...args.cluster.readyResources, args.namespace.resource, ...(args.dependsOn ?? [])],
        });
        if (!args.skipAwait) {
            this.readiness = new ReleaseReadiness(
                `${name}-ready`,
                { kubeconfig: args.cluster.kubeconfig, namespace: args.namespace.name, release: args.releaseName, revision: this.release.status.revision, timeoutSeconds: args.timeoutSeconds },
                { parent: this, dependsOn: [this.release] },
            );
        }
        this.ready = this.readiness ?? this.release;
        this.registerOutputs({ status: this.release.status });
    }
}

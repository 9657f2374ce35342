import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../cluster/clusterTarget";
import type { NamespaceRef } from "../k8s/namespace";
import type { ChartRef } from "../../plan/catalog/presets";
import { deepMerge, setPath, type Values } from "../../plan/values";

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
    /** Seconds Helm may take (install + wait) before the atomic install rolls back. */
    timeoutSeconds: number;
    /** Do not wait for readiness (and so no atomic rollback): for an API server without kubelets. */
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

/** The pure part of a release: chart, repo, version, namespace, wait/atomic settings and values. */
export function releaseArgs(args: Omit<HelmServiceArgs, "cluster" | "dependsOn">): k8s.helm.v3.ReleaseArgs {
    const oci = args.chart.repo.startsWith("oci://");
    return {
        name: args.releaseName,
        namespace: args.namespace.name,
        chart: oci ? `${args.chart.repo.replace(/\/$/, "")}/${args.chart.chart}` : args.chart.chart,
        version: args.chart.version,
        ...(oci ? {} : { repositoryOpts: { repo: args.chart.repo } }),
        values: releaseValues(args),
        // Atomic rolls a failed install/upgrade back, but implies waiting; without kubelets nothing gets ready.
        atomic: !args.skipAwait,
        skipAwait: args.skipAwait,
        cleanupOnFail: true,
        timeout: args.timeoutSeconds,
        createNamespace: false,
        maxHistory: 5,
    };
}

/**
 * The base of every chart-backed service: one `helm.v3.Release` (previews
 * work while the cluster is still being created), pinned to a chart version
 * and repository, installed atomically with a timeout, values deep-merged
 * from the component's defaults and the stack's overrides, on the cluster's
 * provider, after the namespace (which waits for the cluster to be ready).
 */
export class HelmService extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
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
        this.registerOutputs({ status: this.release.status });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartRef } from "../../plan/catalog/presets";
import { LAN_POOL_NAME, METALLB_RELEASE } from "../../plan/network";
import type { Values } from "../../plan/values";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { standardLabels } from "../k8s/labels";
import { PlatformNamespace } from "../k8s/namespace";
import { HelmService } from "../platform/helmService";

export interface LoadBalancerPoolArgs {
    cluster: ClusterTarget;
    /** The planned pool (plan/network.ts): its addresses, MetalLB's chart and namespace. */
    pool: { addresses: string[]; chart: ChartRef; namespace: string };
    /** Do not wait for MetalLB to be ready (an API server without kubelets). */
    skipAwait: boolean;
}

/**
 * MetalLB's values: the controller and the speaker in L2 ("native") mode,
 * no FRR (BGP is not used on a home LAN, and frr-k8s would add a DaemonSet
 * per node), requests and limits sized for a Pi, images at the chart's own
 * appVersion (the chart pin pins them).
 */
export function metallbValues(): Values {
    const resources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } };
    return {
        frrk8s: { enabled: false },
        controller: { resources },
        speaker: { frr: { enabled: false }, resources },
    };
}

/** The pool's two objects: the addresses, and their announcement by ARP from any node. */
export function poolObjects(addresses: string[], namespace: string): { pool: Record<string, unknown>; l2: Record<string, unknown> } {
    const labels = standardLabels(LAN_POOL_NAME, "address-pool");
    return {
        pool: { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: LAN_POOL_NAME, namespace, labels }, spec: { addresses, autoAssign: true } },
        l2: { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: LAN_POOL_NAME, namespace, labels }, spec: { ipAddressPools: [LAN_POOL_NAME] } },
    };
}

/**
 * Addresses for `LoadBalancer` Services from `network.loadBalancer`:
 * MetalLB (pinned chart) in its privileged namespace, then its
 * IPAddressPool and L2Advertisement once the release is ready (its
 * controller serves the webhook that admits them). Whatever creates a
 * LoadBalancer Service waits for `ready`.
 */
export class LoadBalancerPool extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly pool: k8s.apiextensions.CustomResource;
    /** The pool and its announcement: LoadBalancer Services get an address once these exist. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: LoadBalancerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:network:LoadBalancerPool", name, {}, opts);
        const { cluster, pool } = args;
        const namespace = new PlatformNamespace(`${name}-ns`, { cluster, name: pool.namespace, podSecurity: "privileged" }, { parent: this });
        const metallb = new HelmService(
            `${name}-metallb`,
            { cluster, namespace, releaseName: METALLB_RELEASE, chart: pool.chart, defaults: metallbValues(), timeoutSeconds: 600, skipAwait: args.skipAwait },
            { parent: this },
        );
        this.release = metallb.release;
        const objects = poolObjects(pool.addresses, pool.namespace);
        const after = { parent: this, provider: cluster.provider, dependsOn: [metallb.ready] };
        this.pool = new k8s.apiextensions.CustomResource(`${name}-pool`, objects.pool as k8s.apiextensions.CustomResourceArgs, after);
        const l2 = new k8s.apiextensions.CustomResource(`${name}-l2`, objects.l2 as k8s.apiextensions.CustomResourceArgs, after);
        this.ready = [this.pool, l2];
        this.registerOutputs({});
    }
}

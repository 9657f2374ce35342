import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "./clusterTarget";

export interface ExistingClusterArgs {
    /** Kubeconfig of the cluster to deploy onto (secret). */
    kubeconfig: pulumi.Output<string>;
}

/**
 * Targets a cluster that already exists (`cluster.kubeconfig`): no node is
 * touched; only the provider is built, from the given kubeconfig and never
 * from the ambient one.
 */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterTarget {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly readyResources: pulumi.Resource[];
    public readonly nodes = [];

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:ExistingCluster", name, {}, opts);
        this.kubeconfig = pulumi.secret(args.kubeconfig);
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
        this.readyResources = [this.provider];
        this.registerOutputs({});
    }
}

import * as pulumi from "@pulumi/pulumi";
import type { PiclusterConfig } from "../stacks/config";
import type { ClusterTarget } from "./cluster/clusterTarget";
import { ExistingCluster } from "./cluster/existingCluster";
import { K3sCluster } from "./cluster/k3sCluster";

/** What a stack exports about its nodes. */
export interface NodeSummary {
    name: string;
    host: string;
    role: "server" | "agent";
    arch: "amd64" | "arm64";
    labels: Record<string, string>;
}

/**
 * The whole platform for one stack: the cluster (bootstrapped or existing)
 * and everything deployed onto it. index.ts only loads config, builds this
 * and exports its outputs; tests build it the same way under mocks.
 */
export class Picluster extends pulumi.ComponentResource {
    public readonly cluster: ClusterTarget;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodes: NodeSummary[];

    constructor(name: string, config: PiclusterConfig, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:index:Picluster", name, {}, opts);
        this.cluster = config.existingCluster
            ? new ExistingCluster("cluster", { kubeconfig: config.kubeconfig as pulumi.Output<string> }, { parent: this })
            : new K3sCluster("cluster", { cluster: config.cluster, nodeKeys: config.nodeKeys, contextName: `picluster-${config.stack}` }, { parent: this });
        this.kubeconfig = this.cluster.kubeconfig;
        this.nodes = config.cluster.nodes.map((n) => ({ name: n.name, host: n.host, role: n.role, arch: n.arch, labels: n.labels }));
        this.registerOutputs({});
    }
}

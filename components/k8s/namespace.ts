import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { podSecurityLabels, standardLabels, type PodSecurityLevel } from "./labels";

/** What a namespaced component needs: the name and a resource to depend on. */
export interface NamespaceRef {
    name: string;
    /** The Namespace resource; children depend on it (it depends on the cluster being ready). */
    resource: pulumi.Resource;
}

export interface PlatformNamespaceArgs {
    cluster: ClusterTarget;
    /** The namespace name (fixed, not auto-named: in-cluster DNS names depend on it). */
    name: string;
    /** The strictest Pod Security level the namespace's workloads allow. */
    podSecurity: PodSecurityLevel;
    /** Extra labels. */
    labels?: Record<string, string>;
    /** Add a default-deny NetworkPolicy (for namespaces whose workloads we own and allow explicitly). */
    defaultDeny?: boolean;
}

/** A namespace with Pod Security labels, standard labels and optionally a default-deny NetworkPolicy. */
export class PlatformNamespace extends pulumi.ComponentResource implements NamespaceRef {
    readonly name: string;
    readonly resource: k8s.core.v1.Namespace;
    readonly namespace: k8s.core.v1.Namespace;

    constructor(name: string, args: PlatformNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Namespace", name, {}, opts);
        this.name = args.name;
        this.namespace = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: args.name,
                    labels: { ...standardLabels(args.name, "namespace"), ...podSecurityLabels(args.podSecurity), ...args.labels },
                },
            },
            { parent: this, provider: args.cluster.provider, dependsOn: args.cluster.readyResources },
        );
        this.resource = this.namespace;
        if (args.defaultDeny) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-default-deny`,
                {
                    metadata: { name: "default-deny", namespace: args.name, labels: standardLabels(args.name, "network-policy") },
                    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
                },
                { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, this.namespace] },
            );
        }
        this.registerOutputs({ name: args.name });
    }
}

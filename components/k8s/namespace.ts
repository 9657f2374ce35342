import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { dnsEgressRule } from "./hardening";
import { podSecurityLabels, standardLabels } from "./labels";
import { type PodSecurityLevel } from "../../config/podSecurity";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Deny all ingress and egress of every pod in the namespace; allow rules open what is needed. */
export function defaultDenySpec(): NetworkPolicySpec {
    return { podSelector: {}, policyTypes: ["Ingress", "Egress"] };
}

/** Every pod in the namespace may resolve names (CoreDNS, port 53). */
export function allowDnsSpec(): NetworkPolicySpec {
    return { podSelector: {}, policyTypes: ["Egress"], egress: [dnsEgressRule()] };
}

export interface IsolatedNamespaceArgs {
    cluster: ClusterTarget;
    name: string;
    /** The namespace's labels (Pod Security included). */
    labels: Record<string, string>;
    /** Labels of the two NetworkPolicies. */
    policyLabels: Record<string, string>;
}

/**
 * Registers, under `parent`, a namespace whose pods can do nothing but
 * resolve names: the Namespace, a default-deny and a DNS-egress policy
 * (`<prefix>-namespace`, `<prefix>-default-deny`, `<prefix>-allow-dns`).
 * The agents build on it; their own policies open the rest.
 */
export function isolatedNamespace(prefix: string, args: IsolatedNamespaceArgs, parent: pulumi.Resource): k8s.core.v1.Namespace {
    const provider = args.cluster.provider;
    const namespace = new k8s.core.v1.Namespace(`${prefix}-namespace`, { metadata: { name: args.name, labels: args.labels } }, { parent, provider, dependsOn: args.cluster.readyResources });
    const inNs = { parent, provider, dependsOn: [namespace] };
    const meta = (name: string) => ({ name, namespace: args.name, labels: args.policyLabels });
    new k8s.networking.v1.NetworkPolicy(`${prefix}-default-deny`, { metadata: meta("default-deny"), spec: defaultDenySpec() }, inNs);
    new k8s.networking.v1.NetworkPolicy(`${prefix}-allow-dns`, { metadata: meta("allow-dns"), spec: allowDnsSpec() }, inNs);
    return namespace;
}

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
                    spec: defaultDenySpec(),
                },
                { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, this.namespace] },
            );
        }
        this.registerOutputs({ name: args.name });
    }
}

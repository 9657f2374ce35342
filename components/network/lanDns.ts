import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartRef } from "../../plan/catalog/presets";
import type { Values } from "../../plan/values";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { PlatformNamespace } from "../k8s/namespace";
import { HelmService } from "../platform/helmService";

export interface LanDnsArgs {
    /** The cluster, with MetalLB's pool among its ready resources (the Service's address comes from it). */
    cluster: ClusterTarget;
    /** The planned server (plan/network.ts): domain, pool address, chart, namespace. */
    dns: { address: string; domain: string; chart: ChartRef; namespace: string };
    skipAwait: boolean;
}

/**
 * k8s_gateway's values: authoritative for `domain`, answering each host of
 * an Ingress or annotated LoadBalancer Service with that object's LAN
 * address; a LoadBalancer Service on the fixed pool address (UDP and TCP
 * 53); restricted Pod Security (non-root, no capabilities, read-only root,
 * RuntimeDefault seccomp); the image the chart version pins.
 */
export function lanDnsValues(dns: { address: string; domain: string }): Values {
    return {
        domain: dns.domain,
        watchedResources: ["Ingress", "Service"],
        service: { type: "LoadBalancer", port: 53, useTcp: true, annotations: { "metallb.io/loadBalancerIPs": dns.address } },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
    };
}

/**
 * DNS for `network.domain` on the LAN: k8s_gateway (pinned chart) in its
 * own restricted namespace, on `network.dns.address`. The router forwards
 * the zone there (docs/operations.md), so a laptop resolves
 * `grafana.<domain>` to the ingress controller's pool address.
 */
export class LanDns extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: LanDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:network:LanDns", name, {}, opts);
        const { cluster, dns } = args;
        const namespace = new PlatformNamespace(`${name}-ns`, { cluster, name: dns.namespace, podSecurity: "restricted" }, { parent: this });
        this.release = new HelmService(
            `${name}-k8s-gateway`,
            { cluster, namespace, releaseName: dns.namespace, chart: dns.chart, defaults: lanDnsValues(dns), timeoutSeconds: 300, skipAwait: args.skipAwait },
            { parent: this },
        ).release;
        this.registerOutputs({});
    }
}

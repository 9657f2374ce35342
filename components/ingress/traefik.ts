import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { TRAEFIK_RESOURCES } from "../../plan/ingress";
import { TRAEFIK_NAMESPACE } from "../../plan/ingress/names";
import type { Values } from "../../plan/values";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { standardLabels } from "../k8s/labels";
import { basicAuthMiddleware } from "./basicAuth";

/**
 * Values k3s's own Traefik chart gets on top of its defaults: HTTP redirects
 * to HTTPS for good, no dashboard route, resources, seccomp, and with the basic-auth
 * login its Middleware (rendered by the chart after its CRDs, so nothing
 * waits for them; components/ingress/basicAuth.ts makes its Secret).
 */
export function traefikValues(basicAuth: boolean): Values {
    return {
        ports: { web: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } } },
        ingressRoute: { dashboard: { enabled: false } },
        resources: TRAEFIK_RESOURCES,
        // The chart's pod is non-root, read-only, capability-free; with the runtime's seccomp profile it is restricted-clean.
        podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
        ...(basicAuth ? { extraObjects: [basicAuthMiddleware()] } : {}),
    };
}

export interface TraefikConfigArgs {
    cluster: ClusterTarget;
    /** The basic-auth Middleware is part of the config. */
    basicAuth: boolean;
    dependsOn?: pulumi.Resource[];
}

/**
 * k3s's bundled Traefik, configured the way k3s documents: a HelmChartConfig
 * named like its HelmChart (`traefik` in kube-system), whose values k3s's
 * helm-controller merges over the chart's defaults.
 */
export class TraefikConfig extends pulumi.ComponentResource {
    readonly config: k8s.apiextensions.CustomResource;

    constructor(name: string, args: TraefikConfigArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:ingress:TraefikConfig", name, {}, opts);
        this.config = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: "helm.cattle.io/v1",
                kind: "HelmChartConfig",
                metadata: { name: "traefik", namespace: TRAEFIK_NAMESPACE, labels: standardLabels("traefik", "front-door") },
                spec: { valuesContent: yaml.dump(traefikValues(args.basicAuth), { lineWidth: -1, noRefs: true }) },
            },
            { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, ...(args.dependsOn ?? [])] },
        );
        this.registerOutputs({});
    }
}

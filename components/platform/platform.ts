import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { PlatformNamespace } from "../k8s/namespace";
import { App } from "./app";
import type { PlatformPlan } from "../../plan/platform";
import { CatalogRelease } from "./services/catalog";
import { POSTGRES_NAMESPACE } from "../../plan/services/postgres";
import type { BuiltinServiceKey, ServiceOutputs } from "./services/service";
import { serviceDescriptor } from "./services";
import { LanDns } from "../network/lanDns";
import { LoadBalancerPool } from "../network/loadBalancerPool";
import { FrontDoor } from "../ingress/frontDoor";

/**
 * How the Platform names its catalog releases and apps: `<platform name>-catalog-<entry>`
 * and `<platform name>-app-<app>`. `npm run deploy` finds them in state by what follows
 * the platform's name.
 */
export const PLATFORM_CHILD_INFIX = { catalog: "-catalog-", app: "-app-" } as const;

export interface PlatformArgs {
    cluster: ClusterTarget;
    /** What to create, planned and checked before any resource (plan/plan.ts). */
    plan: PlatformPlan;
}

/**
 * Everything that runs on the cluster besides the agents: the planned
 * namespaces, each enabled built-in service (a loop over the descriptors),
 * catalog charts and plain apps. Nothing here checks config: the plan did.
 */
export class Platform extends pulumi.ComponentResource {
    /** Service name → in-cluster DNS name and port. */
    readonly endpoints: pulumi.Output<Record<string, string>>;
    /** Generated and derived credentials (`grafana/admin`, `postgres/<db>`, …), secret. */
    readonly credentials: pulumi.Output<Record<string, string>>;
    readonly namespaces: Record<string, PlatformNamespace> = {};
    /** The built-in services created, by config key. */
    readonly services: Partial<Record<BuiltinServiceKey, ServiceOutputs>> = {};
    readonly catalog: Record<string, CatalogRelease> = {};
    readonly apps: Record<string, App> = {};
    /** MetalLB and its pool (`network.loadBalancer`), before everything else here. */
    readonly loadBalancerPool?: LoadBalancerPool;
    /** DNS for `network.domain` on a pool address (`network.dns`). */
    readonly lanDns?: LanDns;
    /** The front door (`network.domain`, `apps[].ingress`): cert-manager, the issuer, Traefik's config and the UIs' routes. */
    readonly frontDoor?: FrontDoor;
    /** Every route's URL and how to log in (the `urls` output). */
    readonly urls: Record<string, { url: string; login: string }>;
    /** The private CA's certificate (PEM) to trust, when the CA issues the routes' certificates. */
    readonly caCertificate?: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Platform", name, {}, opts);
        const { cluster, plan } = args;
        for (const ns of plan.namespaces) {
            this.namespaces[ns.name] = new PlatformNamespace(`${name}-ns-${ns.name}`, { cluster, name: ns.name, podSecurity: ns.podSecurity, defaultDeny: ns.defaultDeny }, { parent: this });
        }
        const common = { cluster, storageClass: plan.storageClass, skipAwait: plan.skipAwait, backups: plan.backups, storage: plan.storage };
        // The pool first: every LoadBalancer Service below (apps, the ingress controller, LAN DNS) gets its address from it.
        if (plan.lan?.loadBalancer) {
            this.loadBalancerPool = new LoadBalancerPool(`${name}-lan`, { cluster, pool: plan.lan.loadBalancer, skipAwait: plan.skipAwait }, { parent: this });
            common.cluster = { provider: cluster.provider, kubeconfig: cluster.kubeconfig, nodes: cluster.nodes, readyResources: [...cluster.readyResources, ...this.loadBalancerPool.ready] };
            if (plan.lan.dns) this.lanDns = new LanDns(`${name}-lan-dns`, { cluster: common.cluster, dns: plan.lan.dns, skipAwait: plan.skipAwait }, { parent: this });
        }
        const endpoints: Record<string, string> = {};
        const credentials: Record<string, pulumi.Output<string>> = {};

        for (const { key, spec } of plan.services) {
            const descriptor = serviceDescriptor(key);
            const out = descriptor.create(
                `${name}-${descriptor.key}`,
                { ...common, spec: spec as never, namespaces: this.namespaces, databases: plan.databases, created: this.services, secrets: plan.serviceSecrets?.[key] },
                { parent: this },
            );
            this.services[descriptor.key] = out;
            // Volumes of everything after it use the class it provides (Longhorn): the cluster is not ready for them before.
            if (out.platformReady) {
                const c = common.cluster;
                common.cluster = { provider: c.provider, kubeconfig: c.kubeconfig, nodes: c.nodes, readyResources: [...c.readyResources, ...out.platformReady] };
            }
            Object.assign(endpoints, out.endpoints);
            Object.assign(credentials, out.credentials);
        }
        // After the services: routes reach their Services, and volumes wait for the storage class (cert-manager has none).
        if (plan.ingress && plan.ingress.routes.length > 0) {
            this.frontDoor = new FrontDoor(`${name}-front-door`, { cluster: common.cluster, plan: plan.ingress, namespaces: this.namespaces, skipAwait: plan.skipAwait }, { parent: this });
            Object.assign(credentials, this.frontDoor.credentials);
        }
        this.urls = plan.ingress?.urls ?? {};
        this.caCertificate = this.frontDoor?.caCertificate;
        for (const { resolved, secretValues } of plan.catalog) {
            // A preset's ServiceMonitor needs kube-prometheus-stack's CRDs first.
            const dependsOn = this.services.monitoring?.ready ?? [];
            const rel = new CatalogRelease(`${name}${PLATFORM_CHILD_INFIX.catalog}${resolved.name}`, { ...common, namespace: this.namespaces[resolved.namespace], resolved, secretValues, dependsOn }, { parent: this });
            this.catalog[resolved.name] = rel;
            if (rel.endpoint) endpoints[resolved.name] = rel.endpoint;
            for (const [k, v] of Object.entries(rel.generated)) credentials[`${resolved.name}/${k}`] = v;
        }
        const databases = this.services.postgres?.databases ?? {};
        for (const { spec, namespace, secretEnv, route } of plan.apps) {
            const app = new App(
                `${name}${PLATFORM_CHILD_INFIX.app}${spec.name}`,
                {
                    ...common,
                    namespace: this.namespaces[namespace],
                    spec,
                    secretEnv,
                    postgres: spec.postgres ? databases[spec.postgres.database] : undefined,
                    postgresNamespace: POSTGRES_NAMESPACE,
                    route,
                    issuer: this.frontDoor?.issuer,
                },
                { parent: this },
            );
            this.apps[spec.name] = app;
            endpoints[spec.name] = app.endpoint;
        }

        this.endpoints = pulumi.output(endpoints);
        this.credentials = pulumi.secret(pulumi.output(credentials)) as pulumi.Output<Record<string, string>>;
        this.registerOutputs({ endpoints: this.endpoints, credentials: this.credentials });
    }
}

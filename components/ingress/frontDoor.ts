import * as pulumi from "@pulumi/pulumi";
import type { IngressPlan } from "../../plan/ingress";
import { BASIC_AUTH_CREDENTIAL, CERT_MANAGER_NAMESPACE } from "../../plan/ingress/names";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { standardLabels } from "../k8s/labels";
import type { NamespaceRef } from "../k8s/namespace";
import { BasicAuth } from "./basicAuth";
import { CertManager } from "./certManager";
import { routeResources, type RouteIssuer } from "./route";
import { TraefikConfig } from "./traefik";

/** The FrontDoor component's type token. */
export const FRONT_DOOR_TYPE = "picluster:ingress:FrontDoor";

export interface FrontDoorArgs {
    cluster: ClusterTarget;
    /** What to make, planned and checked (plan/ingress); has at least one route. */
    plan: IngressPlan;
    /** The platform's namespaces by name (cert-manager's and every routed UI's), already created. */
    namespaces: Record<string, NamespaceRef>;
    /** No waiting for readiness (e2e without kubelets): the CA is then not read back. */
    skipAwait: boolean;
}

/**
 * One way in from the LAN, over HTTPS: cert-manager and the routes' issuer,
 * k3s's Traefik configured (HTTP → HTTPS, no dashboard, the basic-auth
 * Middleware), the generated login, and a Certificate and an Ingress per
 * web UI. Apps make their own routes with the issuer this hands out.
 */
export class FrontDoor extends pulumi.ComponentResource {
    /** The issuer an app's route names. */
    readonly issuer: RouteIssuer;
    /** The private CA's certificate (PEM), when the CA issues and readiness is awaited. */
    readonly caCertificate?: pulumi.Output<string>;
    /** Generated credentials by name (the basic-auth password), secret. */
    readonly credentials: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: FrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
        super(FRONT_DOOR_TYPE, name, {}, opts);
        const { cluster, plan } = args;
        if (!plan.certManager || !plan.issuer) throw new Error("invariant: the front door is made only for a plan with routes");
        const certManager = new CertManager(
            `${name}-cert-manager`,
            { cluster, namespace: args.namespaces[CERT_MANAGER_NAMESPACE], plan: { certManager: plan.certManager, issuer: plan.issuer }, skipAwait: args.skipAwait },
            { parent: this },
        );
        this.issuer = certManager.issuer;
        this.caCertificate = certManager.caCertificate;
        const basicAuth = plan.auth ? new BasicAuth(`${name}-basic-auth`, { cluster, user: plan.auth.user }, { parent: this }) : undefined;
        if (basicAuth) this.credentials[BASIC_AUTH_CREDENTIAL] = basicAuth.password;
        new TraefikConfig(`${name}-traefik`, { cluster, basicAuth: basicAuth !== undefined, dependsOn: basicAuth ? [basicAuth.secret] : [] }, { parent: this });
        for (const route of plan.routes.filter((r) => !r.app)) {
            routeResources(`${name}-${route.name}`, this, {
                cluster,
                namespace: args.namespaces[route.namespace],
                route,
                issuer: this.issuer,
                labels: standardLabels(route.name, "route"),
            });
        }
        this.registerOutputs({});
    }
}

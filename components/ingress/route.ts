import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlannedRoute } from "../../plan/ingress";
import { BASIC_AUTH_MIDDLEWARE_REF, ROUTER_MIDDLEWARES_ANNOTATION, TRAEFIK_INGRESS_CLASS } from "../../plan/ingress/names";
import type { ClusterTarget } from "../cluster/clusterTarget";
import type { NamespaceRef } from "../k8s/namespace";

/** The ClusterIssuer routes' Certificates name, and what must exist before one is made (cert-manager's CRDs, the issuer). */
export interface RouteIssuer {
    name: string;
    ready: pulumi.Resource[];
}

/** The Ingress annotations Traefik reads: HTTPS only (the web entry point redirects), TLS, and the basic-auth middleware when the route has it. */
export function routeAnnotations(route: PlannedRoute): Record<string, string> {
    if (route.className !== TRAEFIK_INGRESS_CLASS) return {};
    return {
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
        "traefik.ingress.kubernetes.io/router.tls": "true",
        ...(route.auth ? { [ROUTER_MIDDLEWARES_ANNOTATION]: BASIC_AUTH_MIDDLEWARE_REF } : {}),
    };
}

/** The Ingress's spec: one host, one path to the Service's port, TLS from the route's Secret. */
export function routeIngressSpec(route: PlannedRoute): k8s.types.input.networking.v1.IngressSpec {
    return {
        ingressClassName: route.className,
        tls: [{ hosts: [route.host], secretName: route.tlsSecret }],
        rules: [{ host: route.host, http: { paths: [{ path: route.path, pathType: "Prefix", backend: { service: { name: route.service, port: { number: route.port } } } }] } }],
    };
}

/** The Certificate's spec: the route's host, signed by the issuer, an ECDSA P-256 key renewed with each certificate. */
export function routeCertificateSpec(route: PlannedRoute, issuer: string): Record<string, unknown> {
    return {
        secretName: route.tlsSecret,
        dnsNames: [route.host],
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuer },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    };
}

export interface RouteResourceArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    route: PlannedRoute;
    /** Undefined only for a route that brings its own certificate. */
    issuer?: RouteIssuer;
    labels: Record<string, string>;
    /** The route's backend (an app's Service), made first. */
    dependsOn?: pulumi.Resource[];
}

/**
 * Registers a route under `parent`: its Certificate (unless the route brings
 * its own Secret), then its Ingress (`<name>-certificate`, `<name>-ingress`).
 */
export function routeResources(name: string, parent: pulumi.Resource, args: RouteResourceArgs): { ingress: k8s.networking.v1.Ingress; certificate?: k8s.apiextensions.CustomResource } {
    const { cluster, namespace, route } = args;
    const opts = (deps: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent, provider: cluster.provider, dependsOn: [...cluster.readyResources, namespace.resource, ...deps] });
    const metadata = { name: route.name, namespace: namespace.name, labels: args.labels };
    const certificate =
        !route.ownCertificate && args.issuer
            ? new k8s.apiextensions.CustomResource(
                  `${name}-certificate`,
                  { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata, spec: routeCertificateSpec(route, args.issuer.name) },
                  opts(args.issuer.ready),
              )
            : undefined;
    const ingress = new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        // Not awaited: Traefik's status on the Ingress says nothing of the UI behind it, whose pods come up on their chart's schedule.
        { metadata: { ...metadata, annotations: { "pulumi.com/skipAwait": "true", ...routeAnnotations(route) } }, spec: routeIngressSpec(route) },
        opts([...(args.dependsOn ?? []), ...(certificate ? [certificate] : [])]),
    );
    return { ingress, certificate };
}

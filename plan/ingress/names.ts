/*
 * The front door's fixed names: what the plan, the components and the
 * policy pack must agree on (plan/ingress/, components/ingress/,
 * policy/rules/uiAuth.ts, routeTls.ts, nodePortOptIn.ts). No imports: the
 * pack loads this file on its own.
 */

/** k3s's Traefik: its IngressClass (the chart's default class) and namespace. */
export const TRAEFIK_INGRESS_CLASS = "traefik";
export const TRAEFIK_NAMESPACE = "kube-system";

/** The Secret (htpasswd, bcrypt) and the Traefik Middleware of the generated basic-auth login, both in Traefik's namespace. */
export const BASIC_AUTH = { namespace: TRAEFIK_NAMESPACE, name: "picluster-basic-auth" } as const;
/** How an Ingress names that Middleware (`<namespace>-<name>@kubernetescrd`). */
export const BASIC_AUTH_MIDDLEWARE_REF = `${BASIC_AUTH.namespace}-${BASIC_AUTH.name}@kubernetescrd`;
/** The Ingress annotation that puts Traefik middlewares in front of a route. */
export const ROUTER_MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares";
/** The credentials output's key of the basic-auth password. */
export const BASIC_AUTH_CREDENTIAL = "network/basic-auth";

/** cert-manager: its release, namespace and the two ClusterIssuers routes use. */
export const CERT_MANAGER_NAMESPACE = "cert-manager";
export const CERT_MANAGER_RELEASE = "cert-manager";
export const CA_ISSUER = "picluster-ca";
export const ACME_ISSUER = "picluster-acme";
/** The private CA's Certificate and Secret (in cert-manager's namespace: a ClusterIssuer reads its secret there). */
export const CA_SECRET = "picluster-ca";

/**
 * Services that serve a web UI with no login of its own: an Ingress to one
 * of them must carry the basic-auth middleware (the `ui-auth` rule). Names
 * as the charts make them (kube-prometheus-stack's `<release>-kube-prometheus-prometheus`,
 * the operator's `prometheus-operated`, Longhorn's `longhorn-frontend`).
 */
export const AUTHLESS_UI_SERVICES: readonly RegExp[] = [/-prometheus$/, /^prometheus-operated$/, /-alertmanager$/, /^alertmanager-operated$/, /^longhorn-frontend$/];

/**
 * The annotation a NodePort Service carries to say which config key opted
 * into it and why (`"<key>: <reason>"`); the `node-port-opt-in` rule
 * refuses a NodePort without it.
 */
export const NODE_PORT_ANNOTATION = "picluster.io/node-port";

/** The command that prints one generated credential. */
export function credentialCommand(key: string): string {
    return `pulumi stack output credentials --show-secrets | jq -r '."${key}"'`;
}

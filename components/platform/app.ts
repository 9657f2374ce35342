import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppSpec } from "../../config/schema/apps";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { dnsEgressRule, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../k8s/hardening";
import { skipAwaitAnnotations, standardLabels } from "../k8s/labels";
import type { NamespaceRef } from "../k8s/namespace";
import type { DatabaseCredentials } from "./services/postgres";
import type { PlannedRoute } from "../../plan/ingress";
import { routeResources, type RouteIssuer } from "../ingress/route";
import { NODE_PORT_ANNOTATION } from "../../plan/ingress/names";
import { nodeSelectorFor } from "../../plan/values";
import { WorkloadReadiness } from "./releaseReadiness";

/** Seconds an app's pods may take to become ready before `up` fails with why (the provider's own await waited 600 too). */
export const APP_READY_SECONDS = 600;

type Probe = AppSpec["readinessProbe"];

/** A probe; readiness answers fast and often, liveness waits longer and tolerates more failures. */
export function probeFor(probe: Probe, port: number, kind: "readiness" | "liveness"): k8s.types.input.core.v1.Probe {
    const action = "httpGet" in probe ? { httpGet: { path: probe.httpGet, port } } : { tcpSocket: { port } };
    return kind === "readiness"
        ? { ...action, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }
        : { ...action, initialDelaySeconds: 20, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 };
}

export interface AppArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: AppSpec;
    /** Environment variable → secret value (read from config with `config.secret`). */
    secretEnv: Record<string, pulumi.Output<string>>;
    /** The app's database, when it declares `postgres`. */
    postgres?: DatabaseCredentials;
    /** Namespace of the postgres cluster (egress allowed to it when `postgres` is set). */
    postgresNamespace?: string;
    skipAwait: boolean;
    /** Its route from the LAN (`apps[].ingress`, planned in plan/ingress), and the issuer of the route's certificate. */
    route?: PlannedRoute;
    issuer?: RouteIssuer;
}

/** What every object of one app shares: where it goes, how it is labelled and what it waits for. */
interface AppPlace {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    labels: Record<string, string>;
    selector: Record<string, string>;
    /** On the objects the provider waits on (`skipAwait`). */
    annotations: Record<string, string>;
}

/** An object's options: the cluster's provider, after every node is Ready, the namespace and `deps`. */
function appOpts(parent: pulumi.Resource, at: AppPlace, deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent, provider: at.cluster.provider, dependsOn: [...at.cluster.readyResources, at.namespace.resource, ...deps] };
}

/** The container's environment: plain values, secrets from config in one Secret, the database's connection in another. */
function environment(name: string, parent: pulumi.Resource, spec: AppSpec, at: AppPlace, secretEnv: Record<string, pulumi.Output<string>>, pg?: DatabaseCredentials) {
    const ns = at.namespace.name;
    const secrets: k8s.core.v1.Secret[] = [];
    const env: k8s.types.input.core.v1.EnvVar[] = Object.entries(spec.env).map(([n, value]) => ({ name: n, value }));
    const envFrom: k8s.types.input.core.v1.EnvFromSource[] = [];
    const secretNames = Object.keys(secretEnv);
    if (secretNames.length > 0) {
        const secretName = `${spec.name}-env`;
        secrets.push(
            new k8s.core.v1.Secret(
                `${name}-env`,
                {
                    metadata: { name: secretName, namespace: ns, labels: at.labels },
                    stringData: Object.fromEntries(Object.entries(secretEnv).map(([k, v]) => [k, pulumi.secret(v)])),
                },
                appOpts(parent, at),
            ),
        );
        for (const n of secretNames) env.push({ name: n, valueFrom: { secretKeyRef: { name: secretName, key: n } } });
    }
    if (pg) {
        const secretName = `${spec.name}-postgres`;
        secrets.push(
            new k8s.core.v1.Secret(
                `${name}-postgres`,
                {
                    metadata: { name: secretName, namespace: ns, labels: at.labels },
                    stringData: {
                        PGHOST: pg.host,
                        PGPORT: String(pg.port),
                        PGDATABASE: pg.database,
                        PGUSER: pg.username,
                        PGPASSWORD: pulumi.secret(pg.password),
                        DATABASE_URL: pulumi.secret(pulumi.interpolate`postgresql://${pg.username}:${pg.password}@${pg.host}:${pg.port}/${pg.database}`),
                    },
                },
                appOpts(parent, at),
            ),
        );
        envFrom.push({ secretRef: { name: secretName } });
    }
    return { secrets, env, envFrom };
}

/** The Deployment: hardened pod defaults, arch placement, probes; after the Secrets it reads. */
function deployment(name: string, parent: pulumi.Resource, spec: AppSpec, at: AppPlace, environ: ReturnType<typeof environment>) {
    const { labels, selector } = at;
    return new k8s.apps.v1.Deployment(
        name,
        {
            // The provider does not wait for it: the app's WorkloadReadiness does, and says why when it fails.
            metadata: { name: spec.name, namespace: at.namespace.name, labels, annotations: skipAwaitAnnotations(true) },
            spec: {
                replicas: spec.replicas,
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels },
                    spec: {
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        securityContext: restrictedPodSecurityContext(spec.runAsUser),
                        nodeSelector: nodeSelectorFor({ arch: spec.arch, nodeSelector: spec.nodeSelector }),
                        // Spread replicas over nodes so one Pi going down does not take the app with it.
                        topologySpreadConstraints:
                            spec.replicas > 1
                                ? [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }]
                                : undefined,
                        containers: [
                            {
                                name: spec.name,
                                image: spec.image,
                                imagePullPolicy: "IfNotPresent",
                                command: spec.command,
                                args: spec.args,
                                ports: [{ name: "http", containerPort: spec.port }],
                                env: environ.env,
                                envFrom: environ.envFrom,
                                resources: { requests: { ...spec.resources.requests }, limits: { ...spec.resources.limits } },
                                readinessProbe: probeFor(spec.readinessProbe, spec.port, "readiness"),
                                livenessProbe: probeFor(spec.livenessProbe, spec.port, "liveness"),
                                securityContext: restrictedContainerSecurityContext(spec.runAsUser, spec.readOnlyRootFilesystem),
                                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                            },
                        ],
                        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
                    },
                },
            },
        },
        appOpts(parent, at, environ.secrets),
    );
}

/** The Service, named after the app: its DNS name is the endpoint. */
function service(name: string, parent: pulumi.Resource, spec: AppSpec, at: AppPlace, after: pulumi.Resource[]) {
    const { labels, selector, annotations } = at;
    return new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: {
                name: spec.name,
                namespace: at.namespace.name,
                labels,
                // The app's config is the key that opts into a node port (policy rule node-port-opt-in).
                annotations: spec.service.type === "NodePort" ? { ...annotations, [NODE_PORT_ANNOTATION]: `picluster:apps (${spec.name}).service.type: the app's config asks for NodePort` } : annotations,
            },
            spec: { type: spec.service.type, selector, ports: [{ name: "http", port: spec.service.port, targetPort: spec.port }] },
        },
        appOpts(parent, at, after),
    );
}

/** With replicas to spare, a voluntary disruption (a drain) leaves at least one running. */
function disruptionBudget(name: string, parent: pulumi.Resource, spec: AppSpec, at: AppPlace) {
    return new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        { metadata: { name: spec.name, namespace: at.namespace.name, labels: at.labels }, spec: { minAvailable: 1, selector: { matchLabels: at.selector } } },
        appOpts(parent, at),
    );
}


/** Only the app's port in; DNS, the declared namespaces (and the database's) and, if asked, the internet out. */
function networkPolicy(name: string, parent: pulumi.Resource, spec: AppSpec, at: AppPlace, postgresNamespace: string | undefined) {
    const egressNamespaces = [...new Set([...spec.egress.namespaces, ...(postgresNamespace ? [postgresNamespace] : [])])];
    const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [dnsEgressRule()];
    if (egressNamespaces.length > 0) {
        egress.push({ to: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: egressNamespaces }] } }] });
    }
    if (spec.egress.internet) egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] });
    return new k8s.networking.v1.NetworkPolicy(
        `${name}-netpol`,
        {
            metadata: { name: `${spec.name}-allow`, namespace: at.namespace.name, labels: at.labels },
            spec: {
                podSelector: { matchLabels: at.selector },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ ports: [{ protocol: "TCP", port: spec.port }] }],
                egress,
            },
        },
        appOpts(parent, at),
    );
}

/** The App component's type token (npm run deploy finds apps in state by it). */
export const APP_TYPE = "picluster:platform:App";

/**
 * A plain application: Deployment, Service, optional route (Ingress and certificate), secrets from
 * config in a Secret, arch placement, hardened pod defaults and a
 * NetworkPolicy allowing only its port in and DNS (+ declared namespaces) out.
 */
export class App extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly endpoint: string;

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        super(APP_TYPE, name, {}, opts);
        const { spec } = args;
        const at: AppPlace = {
            cluster: args.cluster,
            namespace: args.namespace,
            labels: { ...standardLabels(spec.name, "app"), "app.kubernetes.io/instance": spec.name },
            selector: { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/instance": spec.name },
            annotations: skipAwaitAnnotations(args.skipAwait),
        };
        const environ = environment(name, this, spec, at, args.secretEnv, args.postgres);
        this.deployment = deployment(name, this, spec, at, environ);
        // Bounded, and on timeout the pods' diagnosis (components/k8s/diagnosis.ts); the Service (and its endpoints' wait) after it.
        const ns = args.namespace.name;
        const ready = args.skipAwait
            ? []
            : [
                  new WorkloadReadiness(
                      `${name}-ready`,
                      { kubeconfig: args.cluster.kubeconfig, namespace: ns, workloads: [{ kind: "Deployment", namespace: ns, name: spec.name }], generation: this.deployment.metadata.generation, timeoutSeconds: APP_READY_SECONDS },
                      { parent: this, dependsOn: [this.deployment] },
                  ),
              ];
        this.service = service(name, this, spec, at, ready);
        this.endpoint = `${spec.name}.${args.namespace.name}.svc.cluster.local:${spec.service.port}`;
        if (spec.replicas > 1) disruptionBudget(name, this, spec, at);
        if (args.route) routeResources(name, this, { cluster: at.cluster, namespace: at.namespace, route: args.route, issuer: args.issuer, labels: at.labels, dependsOn: [this.service] });
        // Egress to the database's namespace only when the app has one.
        networkPolicy(name, this, spec, at, args.postgres ? args.postgresNamespace : undefined);
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

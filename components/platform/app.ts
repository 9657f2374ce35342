import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppSpec } from "../../config/schema/apps";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { dnsEgressRule, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../k8s/hardening";
import { skipAwaitAnnotations, standardLabels } from "../k8s/labels";
import type { NamespaceRef } from "../k8s/namespace";
import type { DatabaseCredentials } from "./services/postgres";
import { nodeSelectorFor } from "../../plan/values";

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
}

/**
 * A plain application: Deployment, Service, optional Ingress, secrets from
 * config in a Secret, arch placement, hardened pod defaults and a
 * NetworkPolicy allowing only its port in and DNS (+ declared namespaces) out.
 */
export class App extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly endpoint: string;

    constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:App", name, {}, opts);
        const { spec, cluster } = args;
        const ns = args.namespace.name;
        const labels = { ...standardLabels(spec.name, "app"), "app.kubernetes.io/instance": spec.name };
        const selector = { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/instance": spec.name };
        const annotations = skipAwaitAnnotations(args.skipAwait);
        const k8sOpts = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: cluster.provider,
            dependsOn: [...cluster.readyResources, args.namespace.resource, ...deps],
        });
        const deps: pulumi.Resource[] = [];
        const env: k8s.types.input.core.v1.EnvVar[] = Object.entries(spec.env).map(([n, value]) => ({ name: n, value }));
        const envFrom: k8s.types.input.core.v1.EnvFromSource[] = [];

        const secretNames = Object.keys(args.secretEnv);
        if (secretNames.length > 0) {
            const secretName = `${spec.name}-env`;
            deps.push(
                new k8s.core.v1.Secret(
                    `${name}-env`,
                    {
                        metadata: { name: secretName, namespace: ns, labels },
                        stringData: Object.fromEntries(Object.entries(args.secretEnv).map(([k, v]) => [k, pulumi.secret(v)])),
                    },
                    k8sOpts(),
                ),
            );
            for (const n of secretNames) env.push({ name: n, valueFrom: { secretKeyRef: { name: secretName, key: n } } });
        }
        if (args.postgres) {
            const pg = args.postgres;
            const secretName = `${spec.name}-postgres`;
            deps.push(
                new k8s.core.v1.Secret(
                    `${name}-postgres`,
                    {
                        metadata: { name: secretName, namespace: ns, labels },
                        stringData: {
                            PGHOST: pg.host,
                            PGPORT: String(pg.port),
                            PGDATABASE: pg.database,
                            PGUSER: pg.username,
                            PGPASSWORD: pulumi.secret(pg.password),
                            DATABASE_URL: pulumi.secret(pulumi.interpolate`postgresql://${pg.username}:${pg.password}@${pg.host}:${pg.port}/${pg.database}`),
                        },
                    },
                    k8sOpts(),
                ),
            );
            envFrom.push({ secretRef: { name: secretName } });
        }

        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name: spec.name, namespace: ns, labels, annotations },
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
                                    env,
                                    envFrom,
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
            k8sOpts(deps),
        );

        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: spec.name, namespace: ns, labels, annotations },
                spec: { type: spec.service.type, selector, ports: [{ name: "http", port: spec.service.port, targetPort: spec.port }] },
            },
            k8sOpts(),
        );
        this.endpoint = `${spec.name}.${ns}.svc.cluster.local:${spec.service.port}`;

        if (spec.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                { metadata: { name: spec.name, namespace: ns, labels }, spec: { minAvailable: 1, selector: { matchLabels: selector } } },
                k8sOpts(),
            );
        }

        if (spec.ingress) {
            const ing = spec.ingress;
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                {
                    metadata: { name: spec.name, namespace: ns, labels, annotations },
                    spec: {
                        ingressClassName: ing.className,
                        tls: ing.tlsSecretName ? [{ hosts: [ing.host], secretName: ing.tlsSecretName }] : undefined,
                        rules: [
                            {
                                host: ing.host,
                                http: { paths: [{ path: ing.path, pathType: "Prefix", backend: { service: { name: spec.name, port: { number: spec.service.port } } } }] },
                            },
                        ],
                    },
                },
                k8sOpts([this.service]),
            );
        }

        const egressNamespaces = [...new Set([...spec.egress.namespaces, ...(args.postgres && args.postgresNamespace ? [args.postgresNamespace] : [])])];
        const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [dnsEgressRule()];
        if (egressNamespaces.length > 0) {
            egress.push({ to: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: egressNamespaces }] } }] });
        }
        if (spec.egress.internet) egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] });
        new k8s.networking.v1.NetworkPolicy(
            `${name}-netpol`,
            {
                metadata: { name: `${spec.name}-allow`, namespace: ns, labels },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [{ ports: [{ protocol: "TCP", port: spec.port }] }],
                    egress,
                },
            },
            k8sOpts(),
        );
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

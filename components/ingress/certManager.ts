import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressPlan, IssuerPlan } from "../../plan/ingress";
import { CERT_MANAGER_RESOURCES } from "../../plan/ingress";
import { CA_SECRET, CERT_MANAGER_NAMESPACE, CERT_MANAGER_RELEASE } from "../../plan/ingress/names";
import type { Values } from "../../plan/values";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { skipAwaitAnnotations, standardLabels } from "../k8s/labels";
import type { NamespaceRef } from "../k8s/namespace";
import { HelmService } from "../platform/helmService";
import type { RouteIssuer } from "./route";

/** The chart's values: its CRDs installed and kept on uninstall, every pod sized, leader election in its own namespace. */
export function certManagerValues(): Values {
    const r = CERT_MANAGER_RESOURCES;
    return {
        // The CRDs come with the chart (kept when the release goes: deleting them deletes every certificate).
        crds: { enabled: true, keep: true },
        global: { leaderElection: { namespace: CERT_MANAGER_NAMESPACE } },
        resources: r.controller,
        webhook: { resources: r.webhook },
        cainjector: { resources: r.cainjector },
        startupapicheck: { resources: r.startupapicheck },
    };
}

/** The private CA: a self-signed ClusterIssuer makes it once, a CA ClusterIssuer signs every route with it. Ten years, its key never rotated. */
export function caCertificateSpec(commonName: string, selfSigned: string): Record<string, unknown> {
    return {
        isCA: true,
        commonName,
        subject: { organizations: ["picluster"] },
        secretName: CA_SECRET,
        duration: "87600h",
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: selfSigned },
    };
}

/** The ACME ClusterIssuer's spec: the account, and a DNS-01 solver writing TXT records with the provider's token (a Secret's key). */
export function acmeIssuerSpec(issuer: Extract<IssuerPlan, { kind: "acme" }>, tokenSecret: string): Record<string, unknown> {
    return {
        acme: {
            email: issuer.email,
            server: issuer.server,
            privateKeySecretRef: { name: `${issuer.name}-account` },
            solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: tokenSecret, key: "api-token" } } } }],
        },
    };
}

export interface CertManagerArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    plan: Required<Pick<IngressPlan, "certManager" | "issuer">>;
    skipAwait: boolean;
}

/**
 * cert-manager (the jetstack chart, its CRDs with it) and the ClusterIssuer
 * every route's Certificate names: the private CA (made once, kept in its
 * Secret; its certificate is the `caCertificate` output) or ACME.
 */
export class CertManager extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly issuer: RouteIssuer;
    /** The private CA's certificate (PEM), read once the CA is issued; undefined for ACME and without waiting (skipAwait). */
    readonly caCertificate?: pulumi.Output<string>;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:ingress:CertManager", name, {}, opts);
        const { cluster, namespace, plan } = args;
        this.helm = new HelmService(
            name,
            {
                cluster,
                namespace,
                releaseName: CERT_MANAGER_RELEASE,
                chart: plan.certManager.chart,
                defaults: certManagerValues(),
                overrides: plan.certManager.overrides,
                timeoutSeconds: plan.certManager.timeoutSeconds,
                skipAwait: args.skipAwait,
            },
            { parent: this },
        );
        const opts_ = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: cluster.provider, dependsOn: [...cluster.readyResources, this.helm.ready, ...deps] });
        const labels = standardLabels("front-door", "issuer");
        const cr = (n: string, kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>, deps: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(n, { apiVersion: "cert-manager.io/v1", kind, metadata: { labels, ...metadata }, spec }, opts_(deps));
        const issuer = plan.issuer;
        if (issuer.kind === "ca") {
            const selfSigned = cr(`${name}-selfsigned`, "ClusterIssuer", { name: `${issuer.name}-selfsigned` }, { selfSigned: {} });
            // Waited for (Ready): the CA's Secret is read right after, and every route's certificate needs it.
            const waitFor = args.skipAwait ? skipAwaitAnnotations(true) : { "pulumi.com/waitFor": "condition=Ready" };
            const ca = cr(`${name}-ca`, "Certificate", { name: CA_SECRET, namespace: namespace.name, annotations: waitFor }, caCertificateSpec(issuer.commonName, `${issuer.name}-selfsigned`), [selfSigned]);
            const caIssuer = cr(`${name}-ca-issuer`, "ClusterIssuer", { name: issuer.name }, { ca: { secretName: CA_SECRET } }, [ca]);
            this.issuer = { name: issuer.name, ready: [this.helm.ready, caIssuer] };
            if (!args.skipAwait) {
                // The id is unknown while the Certificate is still to be made, so a preview never reads a Secret that does not exist yet.
                const read = k8s.core.v1.Secret.get(`${name}-ca-read`, ca.id.apply(() => `${namespace.name}/${CA_SECRET}`), { parent: this, provider: cluster.provider, dependsOn: [...cluster.readyResources, ca] });
                // A certificate is public: no need to keep it secret.
                this.caCertificate = pulumi.unsecret(read.data).apply((d) => (d?.["tls.crt"] ? Buffer.from(d["tls.crt"], "base64").toString("utf8") : ""));
            }
        } else {
            const tokenSecret = `${issuer.name}-dns01`;
            const token = new k8s.core.v1.Secret(
                `${name}-dns01`,
                { metadata: { name: tokenSecret, namespace: namespace.name, labels }, stringData: { "api-token": pulumi.secret(issuer.dns01.apiToken) } },
                { parent: this, provider: cluster.provider, dependsOn: [...cluster.readyResources, namespace.resource] },
            );
            const acme = cr(`${name}-acme-issuer`, "ClusterIssuer", { name: issuer.name }, acmeIssuerSpec(issuer, tokenSecret), [token]);
            this.issuer = { name: issuer.name, ready: [this.helm.ready, acme] };
        }
        this.registerOutputs({});
    }
}

import bcrypt from "bcryptjs";
import * as yaml from "js-yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { Platform } from "../../../components/platform/platform";
import { htpasswdLine } from "../../../components/ingress/basicAuth";
import { loadConfig, secretsOf } from "../../../config/load";
import { buildPlan, type StackPlan } from "../../../plan/plan";
import { BASIC_AUTH_MIDDLEWARE_REF } from "../../../plan/ingress/names";
import { dependencyNames, isSecretEnvelope, plainOccurrences, recorder, registeredResources, resetRegistry, unwrapSecrets, valueOf, type RegisteredResource } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";
import { testCluster } from "../platform/fixtures";

type Values = Record<string, any>;

function plan(network: Values = {}, edit: (v: Values) => void = () => {}, secretKeys: string[] = []): StackPlan {
    const v = structuredClone(stackValues("pi").values) as Values;
    edit(v);
    const source = stackSource("pi", { ...v, network: { ...v.network, ...network } }, { secretKeys });
    return buildPlan(loadConfig(source), secretsOf(source));
}

let n = 0;
function build(p: StackPlan) {
    const cluster = testCluster(p.config.cluster.nodes);
    const rec = recorder();
    const platform = new Platform(`fd${++n}`, { cluster, plan: p.platform }, { transformations: [rec.transform] });
    return { cluster, rec, platform };
}

const crs = (rs: RegisteredResource[], kind: string) => rs.filter((r) => r.inputs.kind === kind);
const meta = (r: RegisteredResource) => r.inputs.metadata as Values;

describe("the front door (pi stack, network.domain pi.home.arpa)", () => {
    beforeEach(() => resetRegistry());

    it("installs cert-manager from its pinned chart, CRDs included, in its restricted namespace", async () => {
        build(plan());
        const rs = await registeredResources();
        const release = rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "cert-manager");
        expect(release?.inputs).toMatchObject({ chart: "cert-manager", version: "v1.21.1", namespace: "cert-manager", repositoryOpts: { repo: "https://charts.jetstack.io" } });
        expect((unwrapSecrets(release?.inputs.values) as Values).crds).toEqual({ enabled: true, keep: true });
        const ns = rs.find((r) => r.type === "kubernetes:core/v1:Namespace" && meta(r).name === "cert-manager");
        expect(meta(ns!).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    it("makes the private CA once: a self-signed issuer, a ten-year CA certificate waited for, and the CA ClusterIssuer", async () => {
        build(plan());
        const rs = await registeredResources();
        expect(crs(rs, "ClusterIssuer").map((r) => [meta(r).name, Object.keys(r.inputs.spec as Values)[0]]).sort()).toEqual([
            ["picluster-ca", "ca"],
            ["picluster-ca-selfsigned", "selfSigned"],
        ]);
        const ca = crs(rs, "Certificate").find((r) => meta(r).name === "picluster-ca");
        expect(ca?.inputs.spec).toMatchObject({ isCA: true, commonName: "picluster pi CA", secretName: "picluster-ca", duration: "87600h", privateKey: { rotationPolicy: "Never" } });
        expect(meta(ca!)).toMatchObject({ namespace: "cert-manager", annotations: { "pulumi.com/waitFor": "condition=Ready" } });
    });

    it("gives every UI one Certificate from the CA issuer and one Ingress on Traefik, HTTPS only, its TLS from that certificate", async () => {
        build(plan());
        const rs = await registeredResources();
        const certs = crs(rs, "Certificate").filter((r) => meta(r).name !== "picluster-ca");
        const ingresses = rs.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress");
        expect(certs.map((r) => meta(r).name).sort()).toEqual(["chat", "grafana", "headlamp", "jupyter", "prometheus", "rabbitmq"]);
        expect(ingresses.map((r) => meta(r).name).sort()).toEqual(["chat", "grafana", "headlamp", "jupyter", "prometheus", "rabbitmq"]);
        for (const ing of ingresses) {
            const spec = ing.inputs.spec as Values;
            const cert = certs.find((c) => meta(c).name === meta(ing).name && meta(c).namespace === meta(ing).namespace)!;
            expect(cert.inputs.spec).toMatchObject({ secretName: spec.tls[0].secretName, dnsNames: [spec.rules[0].host], issuerRef: { kind: "ClusterIssuer", name: "picluster-ca" } });
            expect(spec.ingressClassName).toBe("traefik");
            expect(spec.tls[0].hosts).toEqual([spec.rules[0].host]);
            expect(meta(ing).annotations).toMatchObject({ "traefik.ingress.kubernetes.io/router.entrypoints": "websecure", "traefik.ingress.kubernetes.io/router.tls": "true" });
        }
        const prom = ingresses.find((r) => meta(r).name === "prometheus")!;
        expect(meta(prom).annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBe(BASIC_AUTH_MIDDLEWARE_REF);
        expect(meta(ingresses.find((r) => meta(r).name === "grafana")!).annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBeUndefined();
    });

    it("configures k3s's Traefik through its HelmChartConfig: HTTP redirects to HTTPS, no dashboard, sized, the basic-auth Middleware", async () => {
        build(plan());
        const cfg = crs(await registeredResources(), "HelmChartConfig");
        expect(cfg.map((r) => [meta(r).namespace, meta(r).name, r.inputs.apiVersion])).toEqual([["kube-system", "traefik", "helm.cattle.io/v1"]]);
        const values = yaml.load((cfg[0].inputs.spec as Values).valuesContent) as Values;
        expect(values.ports.web.redirections.entryPoint).toEqual({ to: "websecure", scheme: "https", permanent: true });
        expect(values.ingressRoute.dashboard.enabled).toBe(false);
        expect(values.resources.limits).toEqual({ cpu: "1", memory: "256Mi" });
        expect(values.extraObjects).toEqual([
            expect.objectContaining({ apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: expect.objectContaining({ name: "picluster-basic-auth", namespace: "kube-system" }), spec: { basicAuth: { secret: "picluster-basic-auth", realm: "picluster", removeHeader: true } } }),
        ]);
    });

    it("keeps the generated login secret: the htpasswd Secret's data and the credential are secrets, and the bcrypt line checks the password", async () => {
        const { platform } = build(plan());
        const rs = await registeredResources();
        const secret = rs.find((r) => r.type === "kubernetes:core/v1:Secret" && meta(r).name === "picluster-basic-auth")!;
        expect(meta(secret).namespace).toBe("kube-system");
        const data = secret.inputs.stringData as Values;
        expect(isSecretEnvelope(data) || isSecretEnvelope(data.users)).toBe(true);
        const creds = await valueOf(platform.credentials);
        const password = creds["network/basic-auth"];
        expect(password).toMatch(/^mock-password-/);
        const line = (unwrapSecrets(secret.inputs.stringData) as Values).users as string;
        const [user, hash] = line.split(":");
        expect(user).toBe("admin");
        expect(hash).toMatch(/^\$2b\$06\$/);
        expect(bcrypt.compareSync(password, hash)).toBe(true);
        for (const r of rs) expect(plainOccurrences(r.inputs, password), `${r.type} ${r.name}`).toEqual([]);
    });

    it("binds every front-door resource to the cluster's provider, after the cluster is ready; certificates after their issuer", async () => {
        const { cluster, rec } = build(plan());
        await registeredResources();
        const mine = rec.resources.filter((r) => /front-door/.test(r.name) && r.type.startsWith("kubernetes:"));
        expect(mine.length).toBeGreaterThan(10);
        for (const r of mine) {
            expect(r.opts.provider, r.name).toBe(cluster.provider);
            expect(await dependencyNames(r.opts), r.name).toContain(cluster.readyName);
        }
        const grafanaCert = rec.resources.find((r) => r.name.endsWith("front-door-grafana-certificate"))!;
        expect(await dependencyNames(grafanaCert.opts)).toEqual(expect.arrayContaining([`fd${n}-front-door-cert-manager-ready`, `fd${n}-front-door-cert-manager-ca-issuer`]));
    });

    it("exports the URLs and the CA certificate read back from cert-manager's Secret", async () => {
        const { platform } = build(plan());
        await registeredResources();
        expect(platform.urls.grafana.url).toBe("https://grafana.pi.home.arpa/");
        expect(platform.caCertificate).toBeDefined();
        expect(await valueOf(platform.caCertificate!)).toBe("");
    });

    it("does not read the CA back without waiting for readiness (skipAwait): no certificate is issued there", async () => {
        const { platform } = build(plan({}, (v) => (v.services.skipAwait = true)));
        const rs = await registeredResources();
        expect(platform.caCertificate).toBeUndefined();
        expect(rs.some((r) => r.name.endsWith("ca-read"))).toBe(false);
        const ca = crs(rs, "Certificate").find((r) => meta(r).name === "picluster-ca")!;
        expect(meta(ca).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    it("routes an app with the cluster's issuer: its Certificate and Ingress under the App, after its Service", async () => {
        const { rec } = build(plan({}, (v) => (v.apps[0].ingress = { auth: true })));
        const rs = await registeredResources();
        const ing = rs.find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress" && meta(r).name === "placemyparents")!;
        expect((ing.inputs.spec as Values).rules[0].host).toBe("placemyparents.pi.home.arpa");
        expect(meta(ing).annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBe(BASIC_AUTH_MIDDLEWARE_REF);
        const recIng = rec.resources.find((r) => r.name.endsWith("app-placemyparents-ingress"))!;
        expect(await dependencyNames(recIng.opts)).toEqual(expect.arrayContaining([`fd${n}-app-placemyparents-service`, `fd${n}-app-placemyparents-certificate`]));
        const cert = crs(rs, "Certificate").find((r) => meta(r).name === "placemyparents")!;
        expect((cert.inputs.spec as Values).issuerRef.name).toBe("picluster-ca");
    });

    it("with ACME: the ClusterIssuer's DNS-01 solver reads the Cloudflare token from a Secret, which holds it only as a secret", async () => {
        const token = "cf-api-token-0123456789abcdef";
        const acme = { issuer: "acme", acme: { email: "admin@example.org", dns01: { provider: "cloudflare", apiTokenKey: "cloudflareToken" } } };
        build(plan({ domain: "lab.example.org", tls: acme }, (v) => (v.cloudflareToken = token), ["cloudflareToken"]));
        const rs = await registeredResources();
        const issuers = crs(rs, "ClusterIssuer");
        expect(issuers.map((r) => meta(r).name)).toEqual(["picluster-acme"]);
        expect((issuers[0].inputs.spec as Values).acme).toEqual({
            email: "admin@example.org",
            server: "https://acme-v02.api.letsencrypt.org/directory",
            privateKeySecretRef: { name: "picluster-acme-account" },
            solvers: [{ dns01: { cloudflare: { apiTokenSecretRef: { name: "picluster-acme-dns01", key: "api-token" } } } }],
        });
        const secret = rs.find((r) => r.type === "kubernetes:core/v1:Secret" && meta(r).name === "picluster-acme-dns01")!;
        expect(meta(secret).namespace).toBe("cert-manager");
        for (const r of rs) expect(plainOccurrences(r.inputs, token), `${r.type} ${r.name}`).toEqual([]);
        expect(crs(rs, "Certificate").every((c) => (c.inputs.spec as Values).issuerRef.name === "picluster-acme")).toBe(true);
    });
});

describe("the front door without routes (the dev stack)", () => {
    beforeEach(() => resetRegistry());

    it("makes nothing: no cert-manager, no issuer, no Traefik config, no Ingress", async () => {
        const source = stackSource("dev");
        const p = buildPlan(loadConfig(source), secretsOf(source));
        build(p);
        const rs = await registeredResources();
        expect(rs.filter((r) => /Ingress$|HelmChartConfig|ClusterIssuer|Certificate/.test(String(r.inputs.kind ?? r.type)))).toEqual([]);
        expect(rs.some((r) => r.inputs.name === "cert-manager")).toBe(false);
    });
});

describe("htpasswdLine", () => {
    it("is bcrypt at cost 6 and the same for the same seed, another for another seed", () => {
        const a = htpasswdLine("admin", "pw", "seed-1");
        expect(a).toBe(htpasswdLine("admin", "pw", "seed-1"));
        expect(a).not.toBe(htpasswdLine("admin", "pw", "seed-2"));
        expect(bcrypt.compareSync("pw", a.slice("admin:".length))).toBe(true);
        expect(bcrypt.compareSync("other", a.slice("admin:".length))).toBe(false);
    });
});

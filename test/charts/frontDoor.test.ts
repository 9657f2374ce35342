import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { checkPodSecurity, objectsOf, podOf, type PodSecurityJudge } from "../../scripts/charts/checks";
import { helmChartConfigCrd, K3S_TRAEFIK_CHART, traefikChart, traefikCrds } from "../../scripts/charts/k3sBundled";
import { kubeVersion, parseManifests, templateRelease, type Manifest } from "../../scripts/charts/releases";
import { checkRouteBackends, routeBackends } from "../../scripts/charts/routes";
import { renderInChildAsync } from "../../scripts/charts/stacks";
import { ThrowawayApiServer } from "./apiServer";
import { prerequisites, ROOT } from "./layer";

/*
 * The front door with its real charts: the pi stack (network.domain
 * pi.home.arpa) rendered with cert-manager's chart at its pin, k3s's Traefik
 * chart (upstream 34.2.0, what k3s 1.33.5 repackages) rendered with the
 * HelmChartConfig's values, every route checked against the Services the
 * charts make, and the program's issuers, certificates, Traefik config and
 * Middleware admitted by a real kube-apiserver holding the real CRDs.
 */

type Obj = Record<string, any>;
let judge: PodSecurityJudge;
let files: Map<string, string>;
let traefikTgz: string;

const program = (kind: string) => objectsOf(files).filter(({ source, m }) => source === "program" && m.kind === kind).map(({ m }) => m as Obj);
const chart = (release: string) => parseManifests(files.get(`charts/${release}.yaml`) ?? "", "cert-manager") as Obj[];
const helmChartConfig = () => program("HelmChartConfig")[0];
const traefikValues = () => YAML.parse(helmChartConfig().spec.valuesContent) as Obj;
/** k3s's Traefik as its chart renders with the HelmChartConfig's values over the chart's defaults. */
const traefikManifests = () =>
    parseManifests(templateRelease({ name: "traefik", namespace: "kube-system", ...K3S_TRAEFIK_CHART, values: traefikValues() }, { kubeVersion: kubeVersion("v1.33.5+k3s1") }), "kube-system") as Obj[];

beforeAll(async () => {
    judge = prerequisites().judge;
    [files, traefikTgz] = await Promise.all([renderInChildAsync(ROOT, "pi", { manifests: true }), traefikChart()]);
});

describe("cert-manager, rendered by its chart at its pin", () => {
    it("makes the controller, the webhook and the cainjector, each image at the chart's version, and its CRDs", () => {
        const deployments = chart("cert-manager").filter((o) => o.kind === "Deployment");
        expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"]);
        for (const d of deployments) for (const c of d.spec.template.spec.containers) expect(c.image, d.metadata.name).toMatch(/^quay\.io\/jetstack\/cert-manager-[a-z]+:v1\.21\.1$/);
        const crds = chart("cert-manager").filter((o) => o.kind === "CustomResourceDefinition").map((c) => c.metadata.name);
        expect(crds.sort()).toEqual(["certificaterequests.cert-manager.io", "certificates.cert-manager.io", "challenges.acme.cert-manager.io", "clusterissuers.cert-manager.io", "issuers.cert-manager.io", "orders.acme.cert-manager.io"]);
    });

    it("is Pod-Security clean at its namespace's level, restricted (its startupapicheck Job included)", () => {
        const ns = program("Namespace").find((n) => n.metadata.name === "cert-manager");
        expect(ns?.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        expect(chart("cert-manager").filter((o) => podOf(o as Manifest)).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["Deployment/cert-manager", "Deployment/cert-manager-cainjector", "Deployment/cert-manager-webhook", "Job/cert-manager-startupapicheck"]);
        expect(checkPodSecurity(files, judge).filter((p) => p.startsWith("cert-manager"))).toEqual([]);
    });
});

describe("every route reaches a Service and port that exists", () => {
    it("checks the six UIs' routes against the charts' Services", () => {
        expect(routeBackends(files).map((b) => `${b.namespace}/${b.service}:${b.port}`).sort()).toEqual([
            "headlamp/headlamp:80",
            "jupyterhub/proxy-public:80",
            "monitoring/monitoring-grafana:80",
            "monitoring/monitoring-kube-prometheus-prometheus:9090",
            "rabbitmq/rabbitmq:15672",
            "rocketchat/rocketchat-rocketchat:80",
        ]);
        expect(checkRouteBackends(files)).toEqual([]);
    });

    it("fails on a route to a Service the chart does not make, or a port it does not have", () => {
        const broken = new Map(files);
        broken.set("k8s/monitoring/ingress-grafana.yaml", (files.get("k8s/monitoring/ingress-grafana.yaml") ?? "").replace("name: monitoring-grafana", "name: grafana"));
        broken.set("k8s/monitoring/ingress-prometheus.yaml", (files.get("k8s/monitoring/ingress-prometheus.yaml") ?? "").replace("number: 9090", "number: 9091"));
        expect(checkRouteBackends(broken)).toEqual([
            expect.stringMatching(/^route monitoring\/grafana: no Service grafana in namespace monitoring \(there: .*monitoring-grafana/),
            expect.stringMatching(/^route monitoring\/prometheus: Service monitoring\/monitoring-kube-prometheus-prometheus \(monitoring\) has ports .*9090.*, not 9091/),
        ]);
    });
});

describe("k3s's Traefik, rendered by its chart with the HelmChartConfig's values", () => {
    it("redirects HTTP to HTTPS for good, on the entry point", () => {
        const traefik = traefikManifests().find((o) => o.kind === "Deployment");
        const args: string[] = traefik?.spec.template.spec.containers[0].args ?? [];
        expect(args).toEqual(expect.arrayContaining(["--entryPoints.web.http.redirections.entryPoint.to=:443", "--entryPoints.web.http.redirections.entryPoint.scheme=https", "--entryPoints.web.http.redirections.entryPoint.permanent=true"]));
    });

    it("routes no dashboard, sizes the pod, and renders the basic-auth Middleware reading the program's Secret", () => {
        const objs = traefikManifests();
        expect(objs.filter((o) => o.kind === "IngressRoute")).toEqual([]);
        const traefik = objs.find((o) => o.kind === "Deployment");
        expect(traefik?.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } });
        const mw = objs.filter((o) => o.kind === "Middleware");
        expect(mw.map((m) => [m.metadata.namespace, m.metadata.name, m.spec.basicAuth.secret])).toEqual([["kube-system", "picluster-basic-auth", "picluster-basic-auth"]]);
        expect(program("Secret").some((s) => s.metadata.namespace === "kube-system" && s.metadata.name === "picluster-basic-auth")).toBe(true);
    });

    it("runs a pod the restricted Pod Security level admits", () => {
        const pods = traefikManifests().filter((o) => podOf(o as Manifest));
        expect(pods.length).toBe(1);
        const result = judge(pods.map((p) => ({ id: p.metadata.name, level: "restricted", version: "v1.33", metadata: podOf(p as Manifest)!.metadata, spec: podOf(p as Manifest)!.spec })));
        expect(result).toEqual([expect.objectContaining({ allowed: true })]);
    });
});

describe("the front door's objects, admitted by a real API server with the real CRDs", () => {
    const server = new ThrowawayApiServer("front-door-admission");
    const dryRun = (obj: Obj) => server.dryRun(obj);

    beforeAll(() => {
        server.start();
        const certManagerCrds = chart("cert-manager").filter((o) => o.kind === "CustomResourceDefinition");
        const crds = [...certManagerCrds, ...traefikCrds(traefikTgz), helmChartConfigCrd()];
        server.installCrds(crds as Obj[], ["certificates.cert-manager.io", "clusterissuers.cert-manager.io", "middlewares.traefik.io", "helmchartconfigs.helm.cattle.io"]);
        for (const ns of ["cert-manager", "monitoring", "rocketchat", "jupyterhub", "headlamp", "rabbitmq"]) server.kubectl(["create", "namespace", ns]);
    });

    afterAll(() => server.stop());

    it("admits the ClusterIssuers, the CA and every route's Certificate, the Traefik HelmChartConfig and the Middleware", () => {
        const objects = [...program("ClusterIssuer"), ...program("Certificate"), helmChartConfig(), ...(traefikValues().extraObjects as Obj[])];
        expect(objects.map((o) => o.kind).sort()).toEqual(["Certificate", "Certificate", "Certificate", "Certificate", "Certificate", "Certificate", "Certificate", "ClusterIssuer", "ClusterIssuer", "HelmChartConfig", "Middleware"]);
        for (const o of objects) {
            const r = dryRun(o);
            expect(r.status, `${o.kind} ${o.metadata.name}: ${r.out}`).toBe(0);
        }
    });

    it("refuses a Certificate with an unknown key algorithm and a Middleware with an unknown field (the dry run is not vacuous)", () => {
        const cert = structuredClone(program("Certificate").find((c) => c.metadata.name === "grafana")!);
        cert.spec.privateKey.algorithm = "DSA";
        expect(dryRun(cert).status).not.toBe(0);
        const mw = structuredClone((traefikValues().extraObjects as Obj[])[0]);
        mw.spec.basicAuth.secrett = "x";
        const r = server.kubectl(["apply", "--dry-run=server", "--validate=strict", "-f", "-"], JSON.stringify(mw));
        expect(r.status).not.toBe(0);
    });
});

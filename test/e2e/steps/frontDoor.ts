/**
 * e2e steps of the front door (issue #26): with `network.domain` set, `up`
 * installs cert-manager from its upstream chart (CRDs included), makes the
 * issuer, one Certificate and one Ingress per web UI (and for an app that
 * asks), k3s's Traefik config and the basic-auth login; the real CRDs admit
 * every object, and a second `up` changes nothing. Then the ACME issuer. It
 * runs on a harness of its own (one server, monitoring with Alertmanager,
 * one app); `npx tsx test/e2e/steps/frontDoor.ts` runs it alone.
 *
 * Stand-ins, as k3s and cert-manager's pods are not there (docs/e2e.md):
 * helm-controller's HelmChartConfig CRD is installed first (k3s registers
 * it itself), and lib/webhooks.sh sets cert-manager's webhooks to Ignore
 * (their pod never runs), so the CRDs' schemas alone judge each object.
 */
import bcrypt from "bcryptjs";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { runAlone } from "./alone";
import { chartTgz } from "../../../scripts/charts/cache";
import { helmChartConfigCrd, K3S_TRAEFIK_CHART, traefikCrds } from "../../../scripts/charts/k3sBundled";
import { networkSchema } from "../../../config/schema/network";
import { servicesSchema } from "../../../config/schema/services";
import { Harness, run, tail } from "../harness";
import type { Check, Step } from "./common";

const SERVER = "e2e-d-server-1";
const DOMAIN = "e2e.home.arpa";
const APP = "hello";
/** The UIs this stack enables (kube-prometheus-stack with Alertmanager) and the app that asks for a route. */
const ROUTES = ["alertmanager", "grafana", "prometheus", APP].sort();
const LIB = path.join(__dirname, "..", "lib");

type Obj = Record<string, any>;

/** The charts this harness serves: kube-prometheus-stack and cert-manager, at their default pins. */
export function frontDoorCharts(): string[] {
    return [`kube-prometheus-stack@${servicesSchema.parse({}).monitoring.version}`, `cert-manager@${networkSchema.parse({}).tls.certManager.version}`];
}

/** Waits (polling) until `probe` holds, up to `seconds`. */
function waitFor(probe: () => boolean, seconds: number): boolean {
    for (let i = 0; i < seconds * 5; i++) {
        if (probe()) return true;
        run("sleep", ["0.2"]);
    }
    return probe();
}

export function frontDoorSteps(toolchainPath: string, step: Step, check: Check): void {
    const h = new Harness({
        stack: `${process.env.E2E_STACK ?? "e2e"}-door`,
        toolchainPath,
        keep: process.env.E2E_KEEP === "1",
        charts: frontDoorCharts(),
        nodes: [{ name: SERVER, role: "server" }],
    });
    const hooks = path.join(h.dir, "webhooks");
    const list = <T = Obj>(args: string[]) => h.kubectlJson<{ items: T[] }>(args).items;
    const network = (extra: Obj = {}) => ({ domain: DOMAIN, ...extra, tls: { ...extra.tls, certManager: { repo: h.chartRepoUrl } } });
    try {
        const cold = step(`w1. up with network.domain ${DOMAIN}: cert-manager from its chart, the CA issuer, one Certificate and one Ingress per UI and for the app, Traefik's config and the basic-auth login, each admitted by the real CRDs`, () => {
            h.start();
            // k3s registers helm-controller's CRDs itself; the e2e API server gets the real one.
            const crd = h.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(helmChartConfigCrd()));
            check(crd.code === 0, `installing helm-controller's HelmChartConfig CRD: ${crd.stderr.trim()}`);
            const started = run("bash", [path.join(LIB, "webhooks.sh"), "start", hooks, path.join(h.dir, "apiserver", "kubeconfig")], { env: h.env });
            check(started.code === 0, `starting the webhook stand-in: ${started.stderr.trim()}`);
            h.initStack(h.clusterConfig(), {
                services: { skipAwait: true, ollama: { enabled: false }, postgres: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: true, repo: h.chartRepoUrl, alerts: { webhook: { urlKey: "e2eAlertWebhook" } } } },
                apps: [{ name: APP, image: "registry.lan/hello:1.0.0", port: 8080, ingress: { auth: true } }],
                network: network(),
            });
            // Alertmanager runs with a receiver: a webhook URL from secret config (nothing listens there).
            h.pulumiOk(["config", "set", "--secret", "picluster:e2eAlertWebhook"], { input: "http://127.0.0.1:9/alerts" });
            const r = h.pulumiOk(["up", "--yes"]);

            const releases = h.helmReleases().map((x) => `${x.namespace}/${x.name} ${x.chart} ${x.status}`);
            check(releases.includes(`cert-manager/cert-manager cert-manager-${networkSchema.parse({}).tls.certManager.version} deployed`), `helm list: ${releases.join(", ")}`);
            const established = list(["get", "crds"]).filter((c) => c.spec.group === "cert-manager.io" && c.status?.conditions?.some((x: Obj) => x.type === "Established" && x.status === "True"));
            check(established.length === 4, `cert-manager.io CRDs established: ${established.map((c) => c.metadata.name).join(", ")}`);
            const patched = fs.readFileSync(path.join(hooks, "webhooks.log"), "utf8").trim().split("\n").filter(Boolean);
            check(patched.length === 2, `the webhook stand-in patched [${patched.join(", ")}]`);

            const issuers = list(["get", "clusterissuers"]).map((i) => i.metadata.name).sort();
            check(JSON.stringify(issuers) === JSON.stringify(["picluster-ca", "picluster-ca-selfsigned"]), `ClusterIssuers: ${issuers.join(", ")}`);
            const certs = list(["get", "certificates", "-A"]);
            const ca = certs.find((c) => c.metadata.name === "picluster-ca");
            check(ca?.metadata.namespace === "cert-manager" && ca.spec.isCA === true, "no CA Certificate picluster-ca in cert-manager");
            const ingresses = list(["get", "ingresses", "-A"]);
            check(JSON.stringify(ingresses.map((i) => i.metadata.name).sort()) === JSON.stringify(ROUTES), `Ingresses: ${ingresses.map((i) => i.metadata.name).join(", ")}`);
            for (const ing of ingresses) {
                const host = ing.spec.rules[0].host;
                check(host === `${ing.metadata.name}.${DOMAIN}` && ing.spec.ingressClassName === "traefik", `Ingress ${ing.metadata.name}: host ${host}, class ${ing.spec.ingressClassName}`);
                const cert = certs.find((c) => c.metadata.namespace === ing.metadata.namespace && c.metadata.name === ing.metadata.name);
                check(cert !== undefined, `no Certificate for ${ing.metadata.namespace}/${ing.metadata.name}`);
                check(cert.spec.secretName === ing.spec.tls[0].secretName && cert.spec.dnsNames[0] === host && cert.spec.issuerRef.name === "picluster-ca", `Certificate ${cert.metadata.name} does not serve its Ingress: ${JSON.stringify(cert.spec)}`);
                const auth = ing.metadata.annotations?.["traefik.ingress.kubernetes.io/router.middlewares"] === "kube-system-picluster-basic-auth@kubernetescrd";
                check(auth === (ing.metadata.name !== "grafana"), `Ingress ${ing.metadata.name}: basic auth ${auth}`);
            }
            check(certs.length === ROUTES.length + 1, `${certs.length} Certificates, expected one per route and the CA`);

            // k3s's Traefik config, and its Middleware admitted by Traefik's own CRD (from the chart k3s bundles).
            const cfg = h.kubectlJson<Obj>(["-n", "kube-system", "get", "helmchartconfig", "traefik"]);
            const values = yaml.load(cfg.spec.valuesContent) as Obj;
            check(values.ports.web.redirections.entryPoint.to === "websecure", "the HelmChartConfig does not redirect HTTP to HTTPS");
            const traefik = chartTgz(K3S_TRAEFIK_CHART);
            check(fs.existsSync(traefik), `${traefik} is not in the chart cache; fill it with npm run charts`);
            for (const c of traefikCrds(traefik)) check(h.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(c)).code === 0, `installing ${c.metadata.name}`);
            check(waitFor(() => h.kubectl(["get", "crd", "middlewares.traefik.io", "-o", "name"]).code === 0, 30), "Traefik's Middleware CRD is not there");
            for (const mw of values.extraObjects as Obj[]) {
                const dry = h.kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(mw));
                check(dry.code === 0, `Traefik's CRD refuses the Middleware: ${dry.stderr.trim()}`);
            }

            // The login: the htpasswd line checks the password the credentials output holds, which the state keeps encrypted.
            const users = Buffer.from(h.kubectlJson<Obj>(["-n", "kube-system", "get", "secret", "picluster-basic-auth"]).data.users, "base64").toString();
            const password = (JSON.parse(h.pulumiOk(["stack", "output", "credentials", "--show-secrets", "--json"]).stdout) as Obj)["network/basic-auth"] as string;
            check(users.startsWith("admin:$2b$06$") && bcrypt.compareSync(password, users.slice("admin:".length)), "the basic-auth Secret does not check the generated password");
            check(!h.pulumiOk(["stack", "export"]).stdout.includes(password), "the basic-auth password is in the state in plain text");
            const urls = JSON.parse(h.pulumiOk(["stack", "output", "urls", "--json"]).stdout) as Obj;
            check(JSON.stringify(Object.keys(urls).sort()) === JSON.stringify(ROUTES) && urls.grafana.url === `https://grafana.${DOMAIN}/`, `urls output: ${JSON.stringify(urls)}`);
            return `up ${r.seconds.toFixed(1)} s; ${releases.find((x) => x.startsWith("cert-manager/"))}; ${established.length} cert-manager.io CRDs; webhooks Ignore (stand-in): ${patched.join(", ")};\nClusterIssuers ${issuers.join(", ")}; Certificates ${certs.map((c) => c.metadata.name).sort().join(", ")}; Ingresses ${ROUTES.join(", ")} (basic auth on all but grafana); Traefik's Middleware admitted by its CRD; urls: ${Object.keys(urls).join(", ")}`;
        });
        if (!cold) return;

        step("w2. a second up with the domain set changes nothing", () => {
            const p = h.pulumiOk(["preview", "--expect-no-changes"]);
            const u = h.pulumiOk(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
            return `preview ${p.seconds.toFixed(1)} s, up ${u.seconds.toFixed(1)} s: no changes`;
        });

        step("w3. tls.issuer acme: a ClusterIssuer with a Cloudflare DNS-01 solver (admitted by cert-manager's CRD), its token only in a Secret, every certificate from it", () => {
            const token = "e2e-cloudflare-token-0123456789abcdef";
            h.pulumiOk(["config", "set", "--secret", "picluster:cloudflareToken"], { input: token });
            const domain = "lab.example.org";
            h.editConfig((c) => {
                c["picluster:network"] = { ...network({ tls: { issuer: "acme", acme: { email: "admin@example.org", dns01: { provider: "cloudflare", apiTokenKey: "cloudflareToken" } } } }), domain };
            });
            h.pulumiOk(["up", "--yes", "--skip-preview"]);
            const issuers = list(["get", "clusterissuers"]);
            check(JSON.stringify(issuers.map((i) => i.metadata.name)) === JSON.stringify(["picluster-acme"]), `ClusterIssuers: ${issuers.map((i) => i.metadata.name).join(", ")}`);
            const solver = issuers[0].spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef;
            const secret = Buffer.from(h.kubectlJson<Obj>(["-n", "cert-manager", "get", "secret", solver.name]).data[solver.key], "base64").toString();
            check(secret === token, `the solver's Secret ${solver.name} does not hold the token`);
            const certs = list(["get", "certificates", "-A"]);
            check(certs.length === ROUTES.length && certs.every((c) => c.spec.issuerRef.name === "picluster-acme" && c.spec.dnsNames[0].endsWith(`.${domain}`)), `Certificates: ${certs.map((c) => `${c.metadata.name}→${c.spec.issuerRef.name}`).join(", ")}`);
            check(!h.pulumiOk(["stack", "export"]).stdout.includes(token), "the Cloudflare token is in the state in plain text");
            h.pulumiOk(["preview", "--expect-no-changes"]);
            return `ClusterIssuer picluster-acme (${issuers[0].spec.acme.server}), solver token from ${solver.name}; ${certs.length} Certificates re-issued for *.${domain}; the CA issuers gone; no change on preview`;
        });
    } catch (e) {
        console.log(tail(String(e), 30));
        throw e;
    } finally {
        run("bash", [path.join(LIB, "webhooks.sh"), "stop", hooks]);
        h.stop();
    }
}


if (require.main === module) runAlone(frontDoorSteps);

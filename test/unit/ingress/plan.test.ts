import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretsOf } from "../../../config/load";
import { buildPlan, type StackPlan } from "../../../plan/plan";
import { AUTHLESS_UI_SERVICES, CA_ISSUER } from "../../../plan/ingress/names";
import { privateSuffix } from "../../../plan/ingress/tls";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;

/** The pi stack with `network` merged over its own and other keys replaced; secrets listed are set as secrets. */
function plan(over: { network?: Values; services?: (s: Values) => void; apps?: (a: Values[]) => void; cluster?: (c: Values) => void; extra?: Values; secretKeys?: string[] } = {}): StackPlan {
    const base = structuredClone(stackValues("pi").values) as Values;
    over.services?.(base.services);
    over.apps?.(base.apps);
    over.cluster?.(base.cluster);
    const source = stackSource("pi", { ...base, network: { ...base.network, ...over.network }, ...over.extra }, { secretKeys: over.secretKeys });
    return buildPlan(loadConfig(source), secretsOf(source));
}

/** The problems a config is refused with. */
function refusal(over: Parameters<typeof plan>[0]): string[] {
    try {
        plan(over);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error("the plan held");
}

/** Alertmanager (it needs a receiver: a webhook from secret config) and Longhorn on (Ollama's models on local-path: 30Gi three times would not fit the Pis' disks). */
const withLonghornAndAlertmanager = (s: Values) =>
    Object.assign(s, { monitoring: { ...s.monitoring, alerts: { webhook: { urlKey: "alertWebhookUrl" } } }, storage: { kind: "longhorn" }, ollama: { ...s.ollama, storage: { storageClass: "local-path" } } });
const ALERT_WEBHOOK = { extra: { alertWebhookUrl: "https://chat.example.org/hooks/abc/token" }, secretKeys: ["alertWebhookUrl"] };

const routes = (p: StackPlan) => p.platform.ingress?.routes ?? [];
const route = (p: StackPlan, name: string) => {
    const r = routes(p).find((x) => x.name === name);
    if (!r) throw new Error(`no route ${name}; have ${routes(p).map((x) => x.name).join(", ")}`);
    return r;
};

describe("the front door's routes", () => {
    it("routes every web UI the pi stack enables as <name>.<network.domain>, to the Service and port the chart makes", () => {
        const p = plan();
        expect(routes(p).map((r) => [r.name, r.host, `${r.namespace}/${r.service}:${r.port}`]).sort()).toEqual(
            [
                ["chat", "chat.pi.home.arpa", "rocketchat/rocketchat-rocketchat:80"],
                ["grafana", "grafana.pi.home.arpa", "monitoring/monitoring-grafana:80"],
                ["headlamp", "headlamp.pi.home.arpa", "headlamp/headlamp:80"],
                ["jupyter", "jupyter.pi.home.arpa", "jupyterhub/proxy-public:80"],
                ["prometheus", "prometheus.pi.home.arpa", "monitoring/monitoring-kube-prometheus-prometheus:9090"],
                ["rabbitmq", "rabbitmq.pi.home.arpa", "rabbitmq/rabbitmq:15672"],
            ].sort(),
        );
        for (const r of routes(p)) expect(r).toMatchObject({ className: "traefik", tlsSecret: `${r.name}-tls`, ownCertificate: false, path: "/" });
    });

    it("puts the basic-auth login in front of exactly the UIs without one (Prometheus, Alertmanager, Longhorn)", () => {
        const p = plan({ services: withLonghornAndAlertmanager, ...ALERT_WEBHOOK });
        const withAuth = routes(p).filter((r) => r.auth).map((r) => r.name).sort();
        expect(withAuth).toEqual(["alertmanager", "longhorn", "prometheus"]);
        expect(route(p, "longhorn")).toMatchObject({ namespace: "longhorn-system", service: "longhorn-frontend", port: 80 });
        expect(route(p, "alertmanager")).toMatchObject({ service: "monitoring-kube-prometheus-alertmanager", port: 9093 });
        expect(p.platform.ingress?.auth).toEqual({ user: "admin" });
    });

    it("names those UIs' Services in the pack's list of UIs without a login, and no UI that has one", () => {
        const p = plan({ services: withLonghornAndAlertmanager, ...ALERT_WEBHOOK });
        for (const r of routes(p)) expect(AUTHLESS_UI_SERVICES.some((re) => re.test(r.service)), r.name).toBe(r.auth);
    });

    it("moves a route to another host, turns one off, or puts the login in front of a UI that has its own", () => {
        const p = plan({ network: { routes: { grafana: { host: "dash.example.org" }, headlamp: false, jupyter: { auth: true } } } });
        expect(route(p, "grafana").host).toBe("dash.example.org");
        expect(routes(p).some((r) => r.name === "headlamp")).toBe(false);
        expect(route(p, "jupyter").auth).toBe(true);
        expect(route(p, "jupyter").login).toMatch(/^user admin; password: .*network\/basic-auth.*; then any user name/);
    });

    it("says in the urls output where each UI is and how to log in, the password only as the command that prints it", () => {
        const urls = plan().platform.ingress?.urls ?? {};
        expect(urls.grafana).toEqual({ url: "https://grafana.pi.home.arpa/", login: `user admin; password: pulumi stack output credentials --show-secrets | jq -r '."grafana/admin"'` });
        expect(urls.prometheus.login).toBe(`user admin; password: pulumi stack output credentials --show-secrets | jq -r '."network/basic-auth"'`);
        expect(Object.keys(urls).sort()).toEqual(["chat", "grafana", "headlamp", "jupyter", "prometheus", "rabbitmq"]);
        expect(urls.rabbitmq.login).toBe(`user picluster; password: pulumi stack output credentials --show-secrets | jq -r '."rabbitmq/rabbitmq-password"'`);
    });

    it("gives Rocket.Chat the chat route's host as its public host (its ROOT_URL)", () => {
        const rc = plan().platform.services.find((s) => s.key === "rocketchat")?.spec as Values;
        expect(rc.host).toBe("chat.pi.home.arpa");
    });

    it("routes an app that asks, as <app>.<domain> by default, with its own host, or with the certificate it brings", () => {
        const p = plan({ apps: (a) => (a[0].ingress = { auth: true }) });
        expect(route(p, "placemyparents")).toMatchObject({ host: "placemyparents.pi.home.arpa", namespace: "placemyparents", service: "placemyparents", port: 80, auth: true, app: "placemyparents" });
        expect(p.platform.apps[0].route?.name).toBe("placemyparents");
        const own = plan({ apps: (a) => (a[0].ingress = { host: "mcp.example.org", tlsSecretName: "mcp-cert" }) });
        expect(route(own, "placemyparents")).toMatchObject({ host: "mcp.example.org", tlsSecret: "mcp-cert", ownCertificate: true, auth: false });
    });

    it("makes nothing without a route: no cert-manager, no issuer (the dev stack)", () => {
        const source = stackSource("dev");
        const dev = buildPlan(loadConfig(source), secretsOf(source));
        expect(dev.platform.ingress?.routes).toEqual([]);
        expect(dev.platform.charts.some((c) => c.chart === "cert-manager")).toBe(false);
        expect(dev.platform.namespaces.some((n) => n.name === "cert-manager")).toBe(false);
    });

    it("installs cert-manager pinned, in a restricted namespace, and counts it and Traefik in the capacity check", () => {
        const p = plan();
        expect(p.platform.charts).toContainEqual({ chart: "cert-manager", repo: "https://charts.jetstack.io", version: "v1.21.1", at: "network.tls.certManager.version" });
        expect(p.platform.namespaces).toContainEqual({ name: "cert-manager", podSecurity: "restricted", defaultDeny: false });
        expect(p.demands.map((d) => d.name)).toEqual(expect.arrayContaining(["cert-manager/controller", "cert-manager/webhook", "cert-manager/cainjector", "traefik (kube-system)"]));
        expect(p.platform.ingress?.issuer).toEqual({ kind: "ca", name: CA_ISSUER, commonName: "picluster pi CA" });
    });
});

describe("the front door's refusals", () => {
    it("refuses a route override for a UI that is not enabled, with the nearest name and the list", () => {
        expect(refusal({ network: { routes: { grafanna: { host: "g.example.org" } } } })).toEqual([
            expect.stringMatching(/^picluster:network\.routes\.grafanna: no enabled web UI is called grafanna; did you mean grafana\? \(UIs: .*prometheus.*\)/),
        ]);
    });

    it("refuses a UI without a login and without the basic-auth login while auth is required", () => {
        expect(refusal({ network: { routes: { prometheus: { auth: false } } } })).toEqual([
            expect.stringMatching(/^picluster:network\.routes\.prometheus\.auth = false: prometheus \(monitoring\/monitoring-kube-prometheus-prometheus\) has no login of its own and network\.auth\.required is true/),
        ]);
    });

    it("lets it through, warning, once auth is not required", () => {
        const p = plan({ network: { routes: { prometheus: { auth: false } }, auth: { required: false } } });
        expect(route(p, "prometheus").auth).toBe(false);
        expect(p.warnings).toContainEqual(expect.stringMatching(/prometheus has no login of its own and is open to anyone on the LAN at https:\/\/prometheus\.pi\.home\.arpa/));
    });

    it("refuses two routes on one host, naming both keys", () => {
        expect(refusal({ network: { routes: { headlamp: { host: "grafana.pi.home.arpa" } } } })).toEqual([
            expect.stringMatching(/^picluster:services\.catalog\[2\] routes https:\/\/grafana\.pi\.home\.arpa\/, which picluster:services\.monitoring already routes/),
        ]);
    });

    it("refuses an app's route with neither a host nor a domain", () => {
        const problems = refusal({ network: { domain: undefined }, apps: (a) => (a[0].ingress = {}) });
        expect(problems).toContainEqual(expect.stringMatching(/^picluster:apps\[0\]\.ingress\.host = \(unset\): network\.domain is not set either/));
    });

    it("refuses ACME without its settings (schema), naming what to set", () => {
        expect(refusal({ network: { tls: { issuer: "acme" } } })).toEqual([expect.stringMatching(/^picluster:network\.tls\.acme = \(unset\): is required with issuer acme/)]);
    });

    const acme = { issuer: "acme", acme: { email: "admin@example.org", dns01: { provider: "cloudflare", apiTokenKey: "cloudflareToken" } } };

    it("refuses ACME whose DNS token is not set, or is in plain text, never showing it", () => {
        expect(refusal({ network: { domain: "lab.example.org", tls: acme } })).toEqual([expect.stringMatching(/^picluster:network\.tls\.acme\.dns01\.apiTokenKey = "cloudflareToken": no secret picluster:cloudflareToken is set/)]);
        const plain = refusal({ network: { domain: "lab.example.org", tls: acme }, extra: { cloudflareToken: "cf-token-0123456789abcdefXYZ" } });
        expect(plain).toEqual([expect.stringMatching(/picluster:cloudflareToken is stored in plain text/)]);
        expect(plain.join("\n")).not.toContain("cf-token-0123456789abcdefXYZ");
    });

    it("refuses ACME for names no public CA issues for (home.arpa), and accepts a public domain with its token set", () => {
        const problems = refusal({ network: { tls: acme }, extra: { cloudflareToken: "t" }, secretKeys: ["cloudflareToken"] });
        expect(problems).toContainEqual(expect.stringMatching(/^picluster:network\.tls\.issuer = "acme": picluster:services\.monitoring routes grafana\.pi\.home\.arpa, under \.home\.arpa, which no public CA issues for/));
        const ok = plan({ network: { domain: "lab.example.org", tls: acme }, extra: { cloudflareToken: "t" }, secretKeys: ["cloudflareToken"] });
        expect(ok.platform.ingress?.issuer).toMatchObject({ kind: "acme", name: "picluster-acme", email: "admin@example.org", server: "https://acme-v02.api.letsencrypt.org/directory" });
    });

    it("refuses a domain while k3s's Traefik is disabled and nothing else serves it", () => {
        expect(refusal({ cluster: (c) => (c.server = { disable: ["traefik"] }) })).toContainEqual(
            expect.stringMatching(/^picluster:network\.domain = "pi\.home\.arpa": cluster\.server\.disable lists traefik, k3s's ingress controller/),
        );
    });
});

describe("private suffixes", () => {
    it("knows the names public CAs refuse and leaves public ones alone", () => {
        expect(["nas.home.arpa", "pi.local", "x.lan", "a.internal", "localhost"].map(privateSuffix)).toEqual(["home.arpa", "local", "lan", "internal", "localhost"]);
        expect(["lab.example.org", "pi.homelab.dev", "arpa.example.com"].map(privateSuffix)).toEqual([undefined, undefined, undefined]);
    });
});

import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../../policy/core/types";
import { nodePortOptIn } from "../../../policy/rules/nodePortOptIn";
import { routeTls } from "../../../policy/rules/routeTls";
import { uiAuth } from "../../../policy/rules/uiAuth";
import { BASIC_AUTH_MIDDLEWARE_REF, NODE_PORT_ANNOTATION, ROUTER_MIDDLEWARES_ANNOTATION } from "../../../plan/ingress/names";
import { release, view } from "./fixtures";

type Values = Record<string, any>;

/** An Ingress to one Service, over TLS unless `tls` is given. */
function ingress(service: string, opts: { host?: string; tls?: Values[]; annotations?: Record<string, string> } = {}) {
    const host = opts.host ?? `${service}.pi.home.arpa`;
    return view("kubernetes:networking.k8s.io/v1:Ingress", `${service}-ingress`, {
        metadata: { name: service, namespace: "monitoring", annotations: opts.annotations ?? {} },
        spec: {
            ingressClassName: "traefik",
            tls: opts.tls ?? [{ hosts: [host], secretName: `${service}-tls` }],
            rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: 80 } } } }] } }],
        },
    });
}

const service = (type: string, annotations: Record<string, string> = {}) =>
    view("kubernetes:core/v1:Service", "svc", { metadata: { name: "svc", namespace: "apps", annotations }, spec: { type, ports: [{ port: 80 }] } });

describe("route-tls", () => {
    it("passes an Ingress whose every host has a TLS entry with a Secret", () => {
        expect(routeTls.validate(ingress("monitoring-grafana"))).toEqual([]);
    });

    it("refuses a host without TLS, TLS without a Secret, and a rule without a host", () => {
        expect(routeTls.validate(ingress("monitoring-grafana", { tls: [] }))).toEqual([expect.stringMatching(/^serves monitoring-grafana\.pi\.home\.arpa without TLS/)]);
        expect(routeTls.validate(ingress("monitoring-grafana", { tls: [{ hosts: ["monitoring-grafana.pi.home.arpa"] }] }))).toHaveLength(1);
        const hostless = ingress("monitoring-grafana");
        (hostless.props.spec as Values).rules.push({ http: { paths: [] } });
        expect(routeTls.validate(hostless)).toEqual([expect.stringMatching(/^has a rule without a host/)]);
    });

    it("skips what is unknown until the apply", () => {
        const r = ingress("monitoring-grafana");
        (r.props.spec as Values).tls = UNKNOWN;
        expect(routeTls.validate(r)).toEqual([]);
    });
});

describe("ui-auth", () => {
    it("refuses a route to Prometheus, Alertmanager or Longhorn's UI without the basic-auth middleware", () => {
        for (const s of ["monitoring-kube-prometheus-prometheus", "monitoring-kube-prometheus-alertmanager", "longhorn-frontend", "prometheus-operated"]) {
            expect(uiAuth.validate(ingress(s)), s).toEqual([expect.stringMatching(new RegExp(`^routes to ${s}, which has no login, without the basic-auth middleware`))]);
        }
    });

    it("passes them with the middleware (among others), and a UI with its own login without it", () => {
        const annotations = { [ROUTER_MIDDLEWARES_ANNOTATION]: `kube-system-headers@kubernetescrd, ${BASIC_AUTH_MIDDLEWARE_REF}` };
        expect(uiAuth.validate(ingress("monitoring-kube-prometheus-prometheus", { annotations }))).toEqual([]);
        expect(uiAuth.validate(ingress("monitoring-grafana"))).toEqual([]);
    });

    it("refuses another middleware in place of the login", () => {
        const annotations = { [ROUTER_MIDDLEWARES_ANNOTATION]: "kube-system-headers@kubernetescrd" };
        expect(uiAuth.validate(ingress("longhorn-frontend", { annotations }))).toHaveLength(1);
    });
});

describe("node-port-opt-in", () => {
    it("passes ClusterIP and a NodePort whose annotation names the key that opts in", () => {
        expect(nodePortOptIn.validate(service("ClusterIP"))).toEqual([]);
        expect(nodePortOptIn.validate(service("NodePort", { [NODE_PORT_ANNOTATION]: "picluster:apps (cache).service.type: containerd reaches it by node address" }))).toEqual([]);
    });

    it("refuses a NodePort without it, or with an annotation that gives no reason", () => {
        expect(nodePortOptIn.validate(service("NodePort"))).toEqual([expect.stringMatching(/^is a NodePort without the picluster\.io\/node-port annotation/)]);
        expect(nodePortOptIn.validate(service("NodePort", { [NODE_PORT_ANNOTATION]: "yes" }))).toHaveLength(1);
    });

    it("looks into Helm values: a NodePort service there needs the annotation beside it", () => {
        const marked = release("registry", { values: { service: { type: "NodePort", nodePort: 30500, annotations: { [NODE_PORT_ANNOTATION]: "services.catalog[].preset registry: containerd" } } } });
        expect(nodePortOptIn.validate(marked)).toEqual([]);
        const unmarked = release("registry", { values: { consoleService: { type: "NodePort" }, service: { type: "ClusterIP" } } });
        expect(nodePortOptIn.validate(unmarked)).toEqual([expect.stringMatching(/^values\.consoleService\.type is NodePort without the picluster\.io\/node-port annotation beside it \(consoleService\.annotations\)/)]);
    });
});

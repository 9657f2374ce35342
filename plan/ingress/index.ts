import type { PiclusterConfig, SecretReader } from "../../config/load";
import { NAMESPACE } from "../../config/load";
import type { PodSecurityLevel } from "../../config/podSecurity";
import type { WorkloadDemand } from "../capacity";
import type { PinnedChart } from "../charts";
import type { ChartRef } from "../catalog/types";
import type { ResolvedCatalogEntry } from "../catalog/presets";
import type { ServicesSpec } from "../../config/schema/services";
import type { BuiltinServiceKey } from "../services/service";
import { BASIC_AUTH, CERT_MANAGER_NAMESPACE, CERT_MANAGER_RELEASE } from "./names";
import { enabledUIs, planRoutes, type PlannedRoute } from "./routes";
import { planIssuer, type IssuerPlan } from "./tls";

export type { PlannedRoute, IssuerPlan };

/*
 * The front door (network.domain, network.tls, network.auth, apps[].ingress):
 * k3s's Traefik as the one entry point, configured by a HelmChartConfig;
 * cert-manager and one ClusterIssuer for every route's certificate; the
 * basic-auth login in front of UIs without one; the `urls` output.
 */

/** cert-manager's pods, as the program sizes them (values in components/ingress/certManager.ts). */
export const CERT_MANAGER_RESOURCES = {
    controller: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    webhook: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
    cainjector: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    /** The post-install API check Job (short-lived, not counted). */
    startupapicheck: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
};

/** k3s's Traefik pod, as the HelmChartConfig sizes it (the bundled chart sets no resources). */
export const TRAEFIK_RESOURCES = { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } };

/** What the front door creates, all of it decided and checked. Empty `routes`: nothing at all. */
export interface IngressPlan {
    routes: PlannedRoute[];
    /** The issuer routes' Certificates name (undefined without routes). */
    issuer?: IssuerPlan;
    /** cert-manager's chart and settings (undefined without routes). */
    certManager?: { chart: ChartRef; overrides: Record<string, unknown>; timeoutSeconds: number };
    /** The basic-auth login's user, when some route has it in front. */
    auth?: { user: string };
    /** Every route's URL and how to log in: the `urls` output. */
    urls: Record<string, { url: string; login: string }>;
    /** cert-manager's namespace. */
    namespaces: { name: string; podSecurity: PodSecurityLevel; defaultDeny: boolean }[];
    charts: PinnedChart[];
    demands: WorkloadDemand[];
    /** The release the inventory must know (plan/inventory.ts). */
    objects: { kind: "HelmRelease"; namespace: string; name: string; owner: string }[];
}

type Config = Pick<PiclusterConfig, "network" | "services" | "apps" | "stack">;

/** Plans the front door; problems and warnings are appended, never thrown. */
export function planIngress(config: Config, platform: { services: { key: BuiltinServiceKey; spec: ServicesSpec[BuiltinServiceKey] }[]; catalog: readonly { resolved: ResolvedCatalogEntry }[] }, secrets: SecretReader, problems: string[], warnings: string[]): IngressPlan {
    const { network } = config;
    const uis = enabledUIs(platform.services, platform.catalog, config);
    const routes = planRoutes({ network, services: config.services, apps: config.apps, uis }, problems, warnings);
    const urls = Object.fromEntries(routes.map((r) => [r.name, { url: `https://${r.host}${r.path === "/" ? "/" : r.path}`, login: r.login }]));
    if (routes.length === 0) return { routes, urls, namespaces: [], charts: [], demands: [], objects: [] };

    const cm = network.tls.certManager;
    const chart = { chart: "cert-manager", repo: cm.repo, version: cm.version };
    const owner = `${NAMESPACE}:network.tls.certManager`;
    const r = CERT_MANAGER_RESOURCES;
    return {
        routes,
        issuer: planIssuer(network, config.stack, routes, secrets, problems),
        certManager: { chart, overrides: cm.values, timeoutSeconds: cm.timeoutSeconds },
        auth: routes.some((x) => x.auth) ? { user: network.auth.user } : undefined,
        urls,
        // Every cert-manager pod runs as restricted asks (non-root, no capabilities, seccomp RuntimeDefault).
        namespaces: [{ name: CERT_MANAGER_NAMESPACE, podSecurity: "restricted", defaultDeny: false }],
        charts: [{ ...chart, at: "network.tls.certManager.version" }],
        demands: [
            { name: "cert-manager/controller", ...r.controller.requests, replicas: 1 },
            { name: "cert-manager/webhook", ...r.webhook.requests, replicas: 1 },
            { name: "cert-manager/cainjector", ...r.cainjector.requests, replicas: 1 },
            // k3s runs Traefik whether or not routes exist; with them the program sizes it, so it counts.
            { name: `traefik (${BASIC_AUTH.namespace})`, ...TRAEFIK_RESOURCES.requests, replicas: 1 },
        ],
        objects: [{ kind: "HelmRelease", namespace: CERT_MANAGER_NAMESPACE, name: CERT_MANAGER_RELEASE, owner }],
    };
}

/** The parts of the platform's plan the front door adds to (structural: plan/platform.ts imports this module's types). */
interface PlatformShare {
    namespaces: { name: string; podSecurity: PodSecurityLevel; defaultDeny: boolean }[];
    charts: PinnedChart[];
    demands: WorkloadDemand[];
    apps: { spec: { name: string }; route?: PlannedRoute }[];
    services: { key: BuiltinServiceKey; spec: ServicesSpec[BuiltinServiceKey] }[];
    ingress?: IngressPlan;
}

/**
 * Joins the front door into the platform's plan, in place (before the plan
 * is frozen): cert-manager's namespace, chart and demands; each app's route
 * (the App makes its own Ingress); and the chat route's host as Rocket.Chat's
 * `host` (its ROOT_URL).
 */
export function joinIngress(platform: PlatformShare, ingress: IngressPlan): void {
    platform.ingress = ingress;
    platform.namespaces.push(...ingress.namespaces.filter((n) => !platform.namespaces.some((m) => m.name === n.name)));
    platform.charts.push(...ingress.charts);
    platform.demands.push(...ingress.demands);
    for (const app of platform.apps) app.route = ingress.routes.find((r) => r.app === app.spec.name);
    const chat = ingress.routes.find((r) => r.name === "chat" && !r.app);
    const rc = platform.services.find((s) => s.key === "rocketchat");
    if (chat && rc) rc.spec = { ...(rc.spec as ServicesSpec["rocketchat"]), host: chat.host };
}

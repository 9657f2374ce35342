import { NAMESPACE } from "../../config/load";
import type { AppsSpec } from "../../config/schema/apps";
import type { NetworkSpec } from "../../config/schema/network";
import type { ServicesSpec } from "../../config/schema/services";
import { closest } from "../../config/messages";
import { SERVICE_PLANNERS } from "../services";
import type { BuiltinServiceKey, WebUI } from "../services/service";
import type { ResolvedCatalogEntry } from "../catalog/presets";
import { BASIC_AUTH_CREDENTIAL, credentialCommand, TRAEFIK_INGRESS_CLASS } from "./names";

/*
 * Which routes the front door makes: every web UI the config enables, as
 * `<name>.<network.domain>` (or the host `network.routes.<name>` gives, or
 * none), and every app that asks (`apps[].ingress`). Each gets TLS; a UI
 * without a login gets the generated basic-auth login in front.
 */

/** One route from the LAN to a Service: an Ingress on Traefik with its certificate. */
export interface PlannedRoute {
    /** The route's name: the Ingress's and the Certificate's, and the key of the `urls` output. */
    name: string;
    host: string;
    path: string;
    namespace: string;
    service: string;
    port: number;
    className: string;
    /** The generated basic-auth login goes in front. */
    auth: boolean;
    /** How to log in, for the `urls` output. */
    login: string;
    /** The Secret holding the route's certificate. */
    tlsSecret: string;
    /** The user brings the certificate (`apps[].ingress.tlsSecretName`): no Certificate is made. */
    ownCertificate: boolean;
    /** The config key that asks for the route. */
    owner: string;
    /** The app whose component makes the route (apps' routes live with the app). */
    app?: string;
}

/** A UI some part of the config enables, with the key that enables it. */
interface EnabledUI extends WebUI {
    owner: string;
}

/** The UIs of the enabled built-in services and catalog entries. */
export function enabledUIs(services: { key: BuiltinServiceKey; spec: ServicesSpec[BuiltinServiceKey] }[], catalog: readonly { resolved: ResolvedCatalogEntry }[], config: { services: ServicesSpec }): EnabledUI[] {
    const out: EnabledUI[] = [];
    for (const { key, spec } of services) {
        const planner = SERVICE_PLANNERS.find((p) => p.key === key);
        for (const ui of planner?.webUIs?.(spec as never) ?? []) out.push({ ...ui, owner: `${NAMESPACE}:services.${key}` });
    }
    for (const { resolved } of catalog) {
        const ui = resolved.preset?.ui;
        if (!ui) continue;
        const i = config.services.catalog.findIndex((e) => e.name === resolved.name);
        const entry = config.services.catalog[i];
        out.push({
            name: resolved.name === entry.preset ? ui.subdomain : resolved.name,
            namespace: resolved.namespace,
            service: ui.service(resolved.name),
            port: ui.port,
            login: ui.login?.({ name: resolved.name, secretValues: entry.secretValues }),
            owner: `${NAMESPACE}:services.catalog[${i}]`,
        });
    }
    return out;
}

interface RouteInput {
    network: NetworkSpec;
    services: ServicesSpec;
    apps: AppsSpec;
    uis: EnabledUI[];
}

const basicAuthLogin = (user: string) => `user ${user}; password: ${credentialCommand(BASIC_AUTH_CREDENTIAL)}`;

/** The UIs' routes: one per UI when a domain is set (Rocket.Chat's also from services.rocketchat.host), as network.routes shapes them. */
function uiRoutes(input: RouteInput, problems: string[], warnings: string[]): PlannedRoute[] {
    const { network, services } = input;
    const routes: PlannedRoute[] = [];
    for (const ui of input.uis) {
        const override = network.routes[ui.name];
        const at = `${NAMESPACE}:network.routes.${ui.name}`;
        if (override === false) continue;
        // Rocket.Chat's own host key predates the front door; both set means two answers.
        const ownHost = ui.name === "chat" && services.rocketchat.host ? services.rocketchat.host : undefined;
        if (ownHost && override?.host && override.host !== ownHost) {
            problems.push(`${at}.host = "${override.host}": services.rocketchat.host is "${ownHost}"; set one of them`);
        }
        const host = override?.host ?? ownHost ?? (network.domain ? `${ui.name}.${network.domain}` : undefined);
        if (!host) continue;
        const hasLogin = ui.login !== undefined;
        const auth = override?.auth ?? !hasLogin;
        if (!hasLogin && !auth) {
            if (network.auth.required) {
                problems.push(`${at}.auth = false: ${ui.name} (${ui.namespace}/${ui.service}) has no login of its own and network.auth.required is true, so it would be open to the whole LAN; remove auth: false, turn the route off (${ui.name}: false), or set network.auth.required: false`);
            } else {
                warnings.push(`${at}.auth = false: ${ui.name} has no login of its own and is open to anyone on the LAN at https://${host}`);
            }
        }
        const login = auth && hasLogin ? `${basicAuthLogin(network.auth.user)}; then ${ui.login}` : auth ? basicAuthLogin(network.auth.user) : (ui.login ?? "none: open to the LAN");
        routes.push({ name: ui.name, host, path: "/", namespace: ui.namespace, service: ui.service, port: ui.port, className: TRAEFIK_INGRESS_CLASS, auth, login, tlsSecret: `${ui.name}-tls`, ownCertificate: false, owner: ui.owner });
    }
    const names = new Set(input.uis.map((u) => u.name));
    for (const name of Object.keys(network.routes)) {
        if (names.has(name)) continue;
        const near = closest(name, names, 1);
        problems.push(
            `${NAMESPACE}:network.routes.${name}: no enabled web UI is called ${name}${near.length > 0 ? `; did you mean ${near[0]}?` : ""} (UIs: ${[...names].join(", ") || "none enabled"}); an app's route is apps[].ingress`,
        );
    }
    return routes;
}

/** The apps' routes (`apps[].ingress`): host from the app or `<name>.<domain>`, TLS from cert-manager unless the app brings its Secret. */
function appRoutes(input: RouteInput, problems: string[]): PlannedRoute[] {
    const { network } = input;
    const routes: PlannedRoute[] = [];
    input.apps.forEach((app, i) => {
        const ing = app.ingress;
        if (!app.enabled || !ing) return;
        const at = `${NAMESPACE}:apps[${i}].ingress`;
        const host = ing.host ?? (network.domain ? `${app.name}.${network.domain}` : undefined);
        if (!host) {
            problems.push(`${at}.host = (unset): network.domain is not set either, so the app's route has no host; set apps[${i}].ingress.host or network.domain`);
            return;
        }
        const className = ing.className ?? TRAEFIK_INGRESS_CLASS;
        if (ing.auth && className !== TRAEFIK_INGRESS_CLASS) {
            problems.push(`${at}.auth = true: the basic-auth login is a Traefik middleware and apps[${i}].ingress.className is "${className}"; drop className (Traefik) or auth`);
        }
        routes.push({
            name: app.name,
            host,
            path: ing.path,
            namespace: app.namespace ?? app.name,
            service: app.name,
            port: app.service.port,
            className,
            auth: ing.auth,
            login: ing.auth ? `${basicAuthLogin(network.auth.user)}; then the app's own` : "the app's own",
            tlsSecret: ing.tlsSecretName ?? `${app.name}-tls`,
            ownCertificate: ing.tlsSecretName !== undefined,
            owner: `${NAMESPACE}:apps[${i}].ingress`,
            app: app.name,
        });
    });
    return routes;
}

/** Every route, checked: no host twice, no route name twice in one namespace. */
export function planRoutes(input: RouteInput, problems: string[], warnings: string[]): PlannedRoute[] {
    const routes = [...uiRoutes(input, problems, warnings), ...appRoutes(input, problems)];
    const byHost = new Map<string, PlannedRoute>();
    const byName = new Map<string, PlannedRoute>();
    for (const r of routes) {
        const prev = byHost.get(`${r.host}${r.path}`);
        if (prev) problems.push(`${r.owner} routes https://${r.host}${r.path}, which ${prev.owner} already routes; give one of them another host (network.routes.<name>.host or apps[].ingress.host)`);
        else byHost.set(`${r.host}${r.path}`, r);
        const prevName = byName.get(`${r.namespace}/${r.name}`);
        if (prevName) problems.push(`${r.owner} makes Ingress ${r.namespace}/${r.name}, which ${prevName.owner} already makes; rename one of them`);
        else byName.set(`${r.namespace}/${r.name}`, r);
    }
    return routes;
}

import { arr, at, kindOf, metadataOf, obj, stringMap } from "../core/k8s";
import { isUnknown, type ResourceRule } from "../core/types";
import { AUTHLESS_UI_SERVICES, BASIC_AUTH_MIDDLEWARE_REF, ROUTER_MIDDLEWARES_ANNOTATION } from "../../plan/ingress/names";

/** The backend Services an Ingress routes to (its rules' paths and its default backend). */
function backendServices(props: Record<string, unknown>): string[] {
    const paths = arr(at(props, "spec.rules")).flatMap((r) => arr(at(r, "http.paths")));
    return [...paths.map((p) => at(p, "backend.service.name")), at(props, "spec.defaultBackend.service.name")].filter((s): s is string => typeof s === "string");
}

export const uiAuth: ResourceRule = {
    scope: "resource",
    name: "ui-auth",
    description: `An Ingress to a UI that has no login of its own (Prometheus, Alertmanager, Longhorn: Services matching ${AUTHLESS_UI_SERVICES.map((r) => r.source).join(", ")}) carries the basic-auth middleware (${ROUTER_MIDDLEWARES_ANNOTATION} naming ${BASIC_AUTH_MIDDLEWARE_REF}).`,
    reason: "Prometheus answers any query and Longhorn's UI deletes volumes: without a login in front, anyone on the LAN (a guest's phone on the Wi-Fi) can read every metric or wipe the data.",
    anchor: "picluster DESIGN (nothing exposed unauthenticated by default); OWASP ASVS V2 (authentication) in spirit",
    enforcementLevel: "mandatory",
    appliesTo: (r) => kindOf(r) === "Ingress",
    validate(r) {
        if (kindOf(r) !== "Ingress") return [];
        const annotations = metadataOf(r).annotations;
        if (isUnknown(annotations) || isUnknown(at(r.props, "spec"))) return [];
        const open = backendServices(r.props).filter((s) => AUTHLESS_UI_SERVICES.some((re) => re.test(s)));
        if (open.length === 0) return [];
        const middlewares = (stringMap(obj(annotations))[ROUTER_MIDDLEWARES_ANNOTATION] ?? "").split(",").map((m) => m.trim());
        if (middlewares.includes(BASIC_AUTH_MIDDLEWARE_REF)) return [];
        return [`routes to ${[...new Set(open)].join(", ")}, which has no login, without the basic-auth middleware; add ${ROUTER_MIDDLEWARES_ANNOTATION}: ${BASIC_AUTH_MIDDLEWARE_REF} (network.routes.<name>.auth true)`];
    },
};

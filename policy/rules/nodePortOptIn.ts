import { HELM_RELEASE, at, kindOf, metadataOf, obj, stringMap } from "../core/k8s";
import { isUnknown, type ResourceRule } from "../core/types";
import { NODE_PORT_ANNOTATION } from "../../plan/ingress/names";

/** Paths in Helm values where a Service is made a NodePort (`…type: NodePort`) without the opt-in annotation beside it. */
function unmarkedNodePorts(values: unknown, path = ""): string[] {
    const o = obj(values);
    if (!o) return Array.isArray(values) ? values.flatMap((v, i) => unmarkedNodePorts(v, `${path}[${i}]`)) : [];
    const here = o.type === "NodePort" && !optedIn(obj(o.annotations)) ? [path ? `${path}.type` : "type"] : [];
    return [...here, ...Object.entries(o).flatMap(([k, v]) => (k === "annotations" ? [] : unmarkedNodePorts(v, path ? `${path}.${k}` : k)))];
}

const optedIn = (annotations: Record<string, unknown> | undefined) => {
    const v = annotations?.[NODE_PORT_ANNOTATION];
    return typeof v === "string" && /^\S[^:]*:\s*\S/.test(v);
};

export const nodePortOptIn: ResourceRule = {
    scope: "resource",
    name: "node-port-opt-in",
    description: `No Service is a NodePort unless a config key opts in: the Service (or the Helm values that make it) carries the annotation ${NODE_PORT_ANNOTATION}: "<key>: <reason>".`,
    reason: "A NodePort opens the port on every node's address, around the front door's TLS and login and around NetworkPolicies that only see pod traffic; it must be a deliberate choice someone can find.",
    anchor: "kube-score service-type (NodePort); Polaris (exposed services) in spirit; picluster DESIGN (the front door is the one way in)",
    enforcementLevel: "mandatory",
    appliesTo: (r) => kindOf(r) === "Service" || r.type === HELM_RELEASE,
    validate(r) {
        if (r.type === HELM_RELEASE) {
            const values = r.props.values;
            if (isUnknown(values)) return [];
            return unmarkedNodePorts(values).map((p) => `values.${p} is NodePort without the ${NODE_PORT_ANNOTATION} annotation beside it (${p.replace(/type$/, "annotations")}); set it to "<config key>: <why a node port>", or use ClusterIP behind the front door`);
        }
        if (kindOf(r) !== "Service") return [];
        const type = at(r.props, "spec.type");
        if (type !== "NodePort" || optedIn(stringMap(metadataOf(r).annotations))) return [];
        return [`is a NodePort without the ${NODE_PORT_ANNOTATION} annotation; name the config key that opts in ("<key>: <why>"), or use ClusterIP behind the front door`];
    },
};

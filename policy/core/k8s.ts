import { isUnknown, type ResourceView } from "./types";

/** Plain-object view of a value, or undefined (missing, unknown, or not an object). */
export function obj(v: unknown): Record<string, unknown> | undefined {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Array view of a value, or an empty array. */
export function arr(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** The value at a dotted path, `undefined` if any step is missing, `UNKNOWN` if a step is unknown. */
export function at(root: unknown, path: string): unknown {
    let cur: unknown = root;
    for (const key of path.split(".")) {
        if (isUnknown(cur)) return cur;
        const o = obj(cur);
        if (!o) return undefined;
        cur = o[key];
    }
    return cur;
}

/** `group/version` and `Kind` of a `kubernetes:` type token (`kubernetes:apps/v1:Deployment`). */
export function k8sKind(type: string): { group: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    return m ? { group: m[1], kind: m[2] } : undefined;
}

export function isKubernetes(r: ResourceView): boolean {
    return r.type.startsWith("kubernetes:");
}

export function kindOf(r: ResourceView): string | undefined {
    return k8sKind(r.type)?.kind;
}

export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";

/** Where each workload kind keeps its pod template (metadata + spec). Patch kinds are not ours to judge. */
const TEMPLATE_PATH: Record<string, string | null> = {
    Deployment: "spec.template",
    StatefulSet: "spec.template",
    DaemonSet: "spec.template",
    ReplicaSet: "spec.template",
    ReplicationController: "spec.template",
    Job: "spec.template",
    CronJob: "spec.jobTemplate.spec.template",
    PodTemplate: "template",
    Pod: null, // the Pod is its own template
};

export const WORKLOAD_KINDS = Object.keys(TEMPLATE_PATH);

export function isWorkload(r: ResourceView): boolean {
    const k = k8sKind(r.type);
    return k !== undefined && k.kind in TEMPLATE_PATH && /^(apps|batch|core|extensions)\//.test(k.group);
}

/** Run-to-completion workloads: no probes expected. */
export function isJobLike(r: ResourceView): boolean {
    const kind = kindOf(r);
    return kind === "Job" || kind === "CronJob";
}

/** The pod template ({metadata, spec}) of a workload; undefined if absent or not known yet. */
export function podTemplate(r: ResourceView): { metadata: Record<string, unknown>; spec: Record<string, unknown> } | undefined {
    const kind = kindOf(r);
    if (!kind || !(kind in TEMPLATE_PATH)) return undefined;
    const path = TEMPLATE_PATH[kind];
    const tpl = path === null ? r.props : obj(at(r.props, path));
    const spec = obj(tpl?.spec);
    if (!tpl || !spec) return undefined;
    return { metadata: obj(tpl.metadata) ?? {}, spec };
}

export interface ContainerRef {
    /** `containers[0]` (`initContainers[1]` …), for messages. */
    where: string;
    name: string;
    init: boolean;
    c: Record<string, unknown>;
}

/** Every container of a pod spec: regular, init and ephemeral. */
export function containersOf(podSpec: Record<string, unknown>): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
        arr(podSpec[field]).forEach((x, i) => {
            const c = obj(x);
            if (!c) return;
            out.push({ where: `${field}[${i}]`, name: typeof c.name === "string" ? c.name : `#${i}`, init: field !== "containers", c });
        });
    }
    return out;
}

/** "container app (containers[0])" — how messages name a container. */
export function label(ref: ContainerRef): string {
    return `container "${ref.name}" (${ref.where})`;
}

export function metadataOf(r: ResourceView): Record<string, unknown> {
    return obj(r.props.metadata) ?? {};
}

/** metadata.name if set and known, else undefined. */
export function k8sName(r: ResourceView): string | undefined {
    const n = metadataOf(r).name;
    return typeof n === "string" ? n : undefined;
}

/** metadata.namespace, defaulting to `default` like the API server. */
export function k8sNamespace(r: ResourceView): string | undefined {
    const ns = metadataOf(r).namespace;
    if (isUnknown(ns)) return undefined;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

export function stringMap(v: unknown): Record<string, string> {
    const o = obj(v) ?? {};
    return Object.fromEntries(Object.entries(o).filter(([, x]) => typeof x === "string")) as Record<string, string>;
}

/** Whether a LabelSelector (matchLabels + matchExpressions) selects a set of labels. */
export function selects(selector: unknown, labels: Record<string, string>): boolean {
    const sel = obj(selector);
    if (!sel) return false;
    const ml = stringMap(sel.matchLabels);
    const exprs = arr(sel.matchExpressions).map(obj).filter((e): e is Record<string, unknown> => e !== undefined);
    if (Object.keys(ml).length === 0 && exprs.length === 0) return true; // empty selector selects everything
    for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
    for (const e of exprs) {
        const key = String(e.key);
        const values = arr(e.values).map(String);
        const has = key in labels;
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[key])) return false;
                break;
            case "NotIn":
                if (has && values.includes(labels[key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** Every string leaf under a value, with its dotted path (unknowns skipped). */
export function stringLeaves(v: unknown, path = ""): { path: string; value: string }[] {
    if (typeof v === "string") return [{ path: path || "(root)", value: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, `${path}[${i}]`));
    const o = obj(v);
    if (o) return Object.entries(o).flatMap(([k, x]) => stringLeaves(x, path ? `${path}.${k}` : k));
    return [];
}

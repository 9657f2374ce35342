/*
 * Pods a chart's controller creates at run time, as the chart's config
 * describes them, so the Pod Security check judges them before any user
 * starts one.
 */
import { chartTgz } from "./cache";
import type { PodToJudge, Rendered } from "./types";
import { readPackage } from "./keys";
import { releasesOf } from "./releases";

/**
 * Pods a chart's controller creates at run time, as its config describes
 * them. JupyterHub's KubeSpawner builds each user's pod from the chart's
 * `singleuser` values (defaults merged with the program's).
 */
export function runtimePods(files: Rendered, cache?: string): PodToJudge[] {
    return releasesOf(files)
        .filter((r) => r.chart === "jupyterhub")
        .map((r) => singleuserPod(r.name, r.namespace, mergeValues(readPackage(chartTgz(r, cache)).values, r.values) as Record<string, any>));
}

/** Helm's merge of user values over chart defaults: maps merge, everything else replaces, null deletes. */
export function mergeValues(defaults: unknown, values: unknown): unknown {
    const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (!isMap(defaults) || !isMap(values)) return values === undefined ? defaults : values;
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(values)) {
        if (v === null) delete out[k];
        else out[k] = mergeValues(defaults[k], v);
    }
    return out;
}

/** The pod KubeSpawner (as configured by z2jh's jupyterhub_config.py) starts for a user. */
export function singleuserPod(release: string, namespace: string, values: Record<string, any>): PodToJudge {
    const su = values.singleuser ?? {};
    const initContainers: Record<string, unknown>[] = [];
    if (su.cloudMetadata?.blockWithIptables !== false) {
        // z2jh's jupyterhub_config.py: an init container that adds an iptables rule, privileged, as root, with NET_ADMIN.
        const tools = su.networkTools?.image ?? {};
        initContainers.push({ name: "block-cloud-metadata", image: `${tools.name}:${tools.tag}`, securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ["NET_ADMIN"] } } });
    }
    for (const c of su.initContainers ?? []) initContainers.push(c);
    const container: Record<string, unknown> = {
        name: "notebook",
        image: `${su.image?.name}:${su.image?.tag}`,
        securityContext: { runAsUser: su.uid ?? 1000, allowPrivilegeEscalation: su.allowPrivilegeEscalation ?? false, ...(su.containerSecurityContext ?? {}) },
    };
    const spec: Record<string, unknown> = {
        initContainers,
        containers: [container, ...(su.extraContainers ?? [])],
        securityContext: { fsGroup: su.fsGid ?? 100, ...(su.podSecurityContext ?? {}) },
        ...(su.extraPodConfig ?? {}),
    };
    return { id: `${release}: user pod (singleuser values, started by KubeSpawner)`, namespace, metadata: {}, spec };
}

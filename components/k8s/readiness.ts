import { eventLines, formatDiagnosis, LIMITS, logTail, podProblem, selectorQuery, workloadState, type KubeEvent, type Pod, type Workload, type WorkloadDiagnosis, type WorkloadState } from "./diagnosis";
import { getJson, type KubeApi } from "./kubeApi";

/*
 * The bounded wait for a Helm release's workloads, through the API server,
 * and on timeout the diagnosis as the error. Pure but for the KubeApi and
 * the clock it is given.
 */

/** A workload a release made, by kind, namespace and name. */
export interface WorkloadRef {
    kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Pod";
    namespace: string;
    name: string;
}

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Seconds between two looks at the workloads. */
export const POLL_SECONDS = 5;

const COLLECTION: Record<WorkloadRef["kind"], string> = {
    Deployment: "apis/apps/v1/namespaces/%/deployments",
    StatefulSet: "apis/apps/v1/namespaces/%/statefulsets",
    DaemonSet: "apis/apps/v1/namespaces/%/daemonsets",
    Pod: "api/v1/namespaces/%/pods",
};
const objectPath = (r: WorkloadRef) => `/${COLLECTION[r.kind].replace("%", r.namespace)}/${encodeURIComponent(r.name)}`;

/** The workloads (what Helm's --wait waits for) in a rendered manifest; `namespace` where an object names none. */
export function manifestWorkloads(manifest: string, namespace: string): WorkloadRef[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const yaml = require("js-yaml") as typeof import("js-yaml");
    const kinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "Pod"]);
    const out: WorkloadRef[] = [];
    for (const doc of yaml.loadAll(manifest) as ({ kind?: string; metadata?: { name?: string; namespace?: string } } | null)[]) {
        if (!doc?.kind || !kinds.has(doc.kind) || !doc.metadata?.name) continue;
        out.push({ kind: doc.kind as WorkloadRef["kind"], namespace: doc.metadata.namespace ?? namespace, name: doc.metadata.name });
    }
    return out;
}

/** Helm's record of a release in its Secret (`data.release`: base64 of base64 of gzipped JSON). */
export function decodeHelmRelease(data: string): { manifest: string; version: number; status?: string } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zlib = require("zlib") as typeof import("zlib");
    const inner = Buffer.from(Buffer.from(data, "base64").toString("utf8"), "base64");
    const json = JSON.parse((inner[0] === 0x1f && inner[1] === 0x8b ? zlib.gunzipSync(inner) : inner).toString("utf8")) as { manifest?: string; version?: number; info?: { status?: string } };
    return { manifest: json.manifest ?? "", version: json.version ?? 0, status: json.info?.status };
}

/** The newest revision Helm recorded for the release, with its manifest; undefined when there is none yet. */
export async function latestRelease(api: KubeApi, namespace: string, release: string): Promise<{ manifest: string; version: number; status?: string } | undefined> {
    const selector = encodeURIComponent(`owner=helm,name=${release}`);
    const list = await getJson<{ items: { data?: { release?: string }; metadata: { labels?: Record<string, string> } }[] }>(api, `/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`);
    const newest = (list?.items ?? []).sort((a, b) => Number(b.metadata.labels?.version ?? 0) - Number(a.metadata.labels?.version ?? 0))[0];
    return newest?.data?.release ? decodeHelmRelease(newest.data.release) : undefined;
}

async function stateOf(api: KubeApi, ref: WorkloadRef): Promise<{ ref: WorkloadRef; state: WorkloadState; obj?: Workload | Pod }> {
    const obj = await getJson<Workload | Pod>(api, objectPath(ref));
    if (!obj) return { ref, state: { kind: ref.kind, name: ref.name, ready: false, summary: `${ref.kind} ${ref.name}: not found` } };
    return { ref, state: workloadState({ ...obj, kind: ref.kind } as Workload), obj };
}

/** The not-ready workloads' pods, each pod's reason, the crashed containers' last log lines, and the events about them. */
export async function diagnose(api: KubeApi, namespace: string, notReady: { ref: WorkloadRef; state: WorkloadState; obj?: Workload | Pod }[]): Promise<{ workloads: WorkloadDiagnosis[]; events: string[] }> {
    const workloads: WorkloadDiagnosis[] = [];
    const podNames = new Set<string>();
    for (const w of notReady) {
        let pods: Pod[] = [];
        try {
            if (w.ref.kind === "Pod") pods = w.obj ? [w.obj as Pod] : [];
            else if (w.obj) {
                const q = encodeURIComponent(selectorQuery((w.obj as Workload).spec?.selector));
                pods = (await getJson<{ items: Pod[] }>(api, `/api/v1/namespaces/${w.ref.namespace}/pods?labelSelector=${q}`))?.items ?? [];
            }
        } catch (e) {
            workloads.push({ state: { ...w.state, summary: `${w.state.summary} (its pods could not be read: ${(e as Error).message})` }, pods: [], morePods: 0 });
            continue;
        }
        const problems = pods.map(podProblem).filter((p): p is NonNullable<typeof p> => p !== undefined);
        const shown = problems.slice(0, LIMITS.pods);
        const withLogs = [];
        for (const p of shown) {
            podNames.add(p.pod);
            let log: string[] | undefined;
            if (p.logs) {
                for (const previous of p.logs.previous ? [true, false] : [false]) {
                    const r = await api.request("GET", `/api/v1/namespaces/${w.ref.namespace}/pods/${p.pod}/log?container=${encodeURIComponent(p.logs.container)}&tailLines=${LIMITS.logLines}&limitBytes=8192${previous ? "&previous=true" : ""}`).catch(() => undefined);
                    if (r && r.status === 200) {
                        log = logTail(r.body);
                        break;
                    }
                }
            }
            withLogs.push({ ...p, log });
        }
        workloads.push({ state: w.state, pods: withLogs, morePods: problems.length - shown.length });
    }
    let events: string[] = [];
    const names = notReady.map((w) => w.ref.name);
    try {
        const list = await getJson<{ items: KubeEvent[] }>(api, `/api/v1/namespaces/${namespace}/events`);
        events = eventLines(list?.items ?? [], (n) => podNames.has(n) || names.some((w) => n === w || n.startsWith(`${w}-`)));
    } catch (e) {
        events = [`(the events could not be read: ${(e as Error).message})`];
    }
    return { workloads, events };
}

/** What the wait is for: a release, its namespace and its bound. */
export interface ReleaseTarget {
    namespace: string;
    release: string;
    timeoutSeconds: number;
}

/** A set of workloads to wait for, as the wait's error names them. */
export interface WorkloadTarget {
    namespace: string;
    /** `release ollama (namespace ai-services, revision 3)` or `Deployment agent-host (namespace rustic-ai)`. */
    what: string;
    refs: WorkloadRef[];
    timeoutSeconds: number;
    /** What to do about it, after the title. */
    fix: string;
}

/**
 * Waits until every workload is ready, up to `timeoutSeconds` from `since`;
 * returns a one-line summary, or throws an Error whose message is the
 * diagnosis: the pods that are not ready, each one's reason, the crashed
 * containers' last log lines, the events.
 */
export async function waitForWorkloads(api: KubeApi, t: WorkloadTarget, clock: Clock = realClock, since = clock.now()): Promise<string> {
    const deadline = since + t.timeoutSeconds * 1000;
    for (;;) {
        const states = await Promise.all(t.refs.map((r) => stateOf(api, r)));
        const waiting = states.filter((s) => !s.state.ready);
        if (waiting.length === 0) return `${t.what}: ${t.refs.length} workload(s) ready`;
        const left = deadline - clock.now();
        if (left <= 0) {
            const found = await diagnose(api, t.namespace, waiting);
            throw new Error(formatDiagnosis(`${t.what} is not ready after ${t.timeoutSeconds} s; ${t.fix}:`, found.workloads, found.events));
        }
        await clock.sleep(Math.min(POLL_SECONDS * 1000, left));
    }
}

/** Waits for every workload of the release's newest revision (what Helm's --wait would wait for), bounded as waitForWorkloads. */
export async function waitForRelease(api: KubeApi, t: ReleaseTarget, clock: Clock = realClock): Promise<string> {
    const since = clock.now();
    const deadline = since + t.timeoutSeconds * 1000;
    let record = await latestRelease(api, t.namespace, t.release);
    while (!record && clock.now() < deadline) {
        await clock.sleep(POLL_SECONDS * 1000);
        record = await latestRelease(api, t.namespace, t.release);
    }
    if (!record) throw new Error(`release ${t.release} (namespace ${t.namespace}): Helm has no record of it after ${t.timeoutSeconds} s`);
    return waitForWorkloads(
        api,
        {
            namespace: t.namespace,
            what: `release ${t.release} (namespace ${t.namespace}, revision ${record.version})`,
            refs: manifestWorkloads(record.manifest, t.namespace),
            timeoutSeconds: t.timeoutSeconds,
            fix: `nothing was rolled back (fix the cause and run up again, or: helm rollback ${t.release} -n ${t.namespace})`,
        },
        clock,
        since,
    );
}

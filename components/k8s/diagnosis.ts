/*
 * Why a workload is not ready, from what the API server says: pure
 * functions from pod, workload and event JSON to short lines. The release
 * readiness wait (components/platform/releaseReadiness.ts) throws them as
 * its error; `npm run verify` prints them in its table. No I/O here.
 */

/** The fields of a container status this reads. */
export interface ContainerStatus {
    name: string;
    image?: string;
    ready?: boolean;
    restartCount?: number;
    state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string; exitCode?: number; message?: string } };
    lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

/** The fields of a Pod this reads. */
export interface Pod {
    metadata: { name: string; namespace?: string; deletionTimestamp?: string };
    spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
    status?: {
        phase?: string;
        reason?: string;
        message?: string;
        conditions?: { type: string; status: string; reason?: string; message?: string }[];
        containerStatuses?: ContainerStatus[];
        initContainerStatuses?: ContainerStatus[];
    };
}

/** The fields of an Event this reads (core/v1 or events.k8s.io's shape through core/v1). */
export interface KubeEvent {
    type?: string;
    reason?: string;
    message?: string;
    count?: number;
    involvedObject?: { kind?: string; name?: string };
    lastTimestamp?: string;
    eventTime?: string;
    metadata?: { creationTimestamp?: string };
}

/** A workload's readiness as a line: `Deployment ollama-service: 0 of 1 ready`. */
export interface WorkloadState {
    kind: string;
    name: string;
    ready: boolean;
    summary: string;
}

/** The fields of a Deployment, StatefulSet or DaemonSet this reads. */
export interface Workload {
    kind: string;
    metadata: { name: string; generation?: number };
    spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } };
    status?: {
        observedGeneration?: number;
        replicas?: number;
        readyReplicas?: number;
        updatedReplicas?: number;
        availableReplicas?: number;
        desiredNumberScheduled?: number;
        numberReady?: number;
        updatedNumberScheduled?: number;
        phase?: string;
        conditions?: { type: string; status: string }[];
    };
}

/** Most lines a diagnosis shows of each kind: it must fit in one error message. */
export const LIMITS = { pods: 4, logLines: 10, events: 8, lineChars: 240 };

const clip = (s: string, n = LIMITS.lineChars) => {
    const one = s.replace(/\s+/g, " ").trim();
    return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** Whether a Deployment, StatefulSet, DaemonSet or bare Pod is ready, as Helm's --wait judges it, and its count. */
export function workloadState(w: Workload | (Pod & { kind: "Pod" })): WorkloadState {
    const name = w.metadata.name;
    if (w.kind === "Pod") {
        const pod = w as Pod;
        const ready = pod.status?.phase === "Succeeded" || (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
        return { kind: "Pod", name, ready, summary: `Pod ${name}: ${ready ? "ready" : (pod.status?.phase ?? "Pending")}` };
    }
    const wl = w as Workload;
    const s = wl.status ?? {};
    const current = (s.observedGeneration ?? 0) >= (wl.metadata.generation ?? 0);
    if (wl.kind === "DaemonSet") {
        const want = s.desiredNumberScheduled ?? 0;
        const ready = current && (s.numberReady ?? 0) >= want && (s.updatedNumberScheduled ?? 0) >= want;
        return { kind: wl.kind, name, ready, summary: `DaemonSet ${name}: ${s.numberReady ?? 0} of ${want} ready` };
    }
    const want = wl.spec?.replicas ?? 1;
    const readyCount = s.readyReplicas ?? 0;
    const updated = s.updatedReplicas ?? 0;
    const ready = current && readyCount >= want && updated >= want && (wl.kind !== "Deployment" || (s.availableReplicas ?? 0) >= want);
    const stale = updated < want && readyCount >= want ? `, ${updated} updated` : "";
    return { kind: wl.kind, name, ready, summary: `${wl.kind} ${name}: ${readyCount} of ${want} ready${stale}` };
}

/** A label selector as the API's `labelSelector` query value. */
export function selectorQuery(selector: NonNullable<Workload["spec"]>["selector"]): string {
    const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    for (const e of selector?.matchExpressions ?? []) {
        const values = (e.values ?? []).join(",");
        if (e.operator === "In") parts.push(`${e.key} in (${values})`);
        else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
        else if (e.operator === "Exists") parts.push(e.key);
        else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    }
    return parts.join(",");
}

/** What is wrong with one pod, in one line, and the container whose previous logs explain it (crash loops, failed starts). */
export interface PodProblem {
    pod: string;
    line: string;
    /** A container to read the last log lines of: `previous` for one that crashed and restarted. */
    logs?: { container: string; previous: boolean };
}

const IMAGE_REASONS = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"]);

function containerProblem(c: ContainerStatus, init: boolean): { line: string; logs?: PodProblem["logs"] } | undefined {
    const which = `${init ? "init container" : "container"} ${c.name}`;
    const waiting = c.state?.waiting;
    const last = c.lastState?.terminated;
    const exit = (t: { reason?: string; exitCode?: number }) => `exit ${t.exitCode ?? "?"}${t.reason ? ` (${t.reason})` : ""}`;
    if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
        return { line: `${waiting.reason}: ${which} cannot pull image ${c.image ?? "?"}${waiting.message ? `: ${clip(waiting.message, 160)}` : ""}` };
    }
    if (waiting?.reason === "CrashLoopBackOff") {
        return { line: `CrashLoopBackOff: ${which} restarted ${c.restartCount ?? 0} times${last ? `, last ${exit(last)}` : ""}`, logs: { container: c.name, previous: true } };
    }
    if (waiting?.reason && waiting.reason !== "ContainerCreating" && waiting.reason !== "PodInitializing") {
        return { line: `${waiting.reason}: ${which}${waiting.message ? `: ${clip(waiting.message, 160)}` : ""}` };
    }
    const term = c.state?.terminated;
    if (term && term.exitCode !== 0) return { line: `${which} terminated: ${exit(term)}`, logs: { container: c.name, previous: false } };
    if (c.state?.running && c.ready === false && !init) {
        return { line: `Running, not ready: ${which} fails its readiness probe${(c.restartCount ?? 0) > 0 ? ` (restarted ${c.restartCount} times)` : ""}` };
    }
    if (waiting?.reason) return { line: `${waiting.reason}: ${which}` };
    return undefined;
}

/** The pod's problem (undefined for a ready or finished pod). */
export function podProblem(pod: Pod): PodProblem | undefined {
    const name = pod.metadata.name;
    const st = pod.status ?? {};
    if (st.phase === "Succeeded") return undefined;
    if ((st.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")) return undefined;
    if (pod.metadata.deletionTimestamp) return { pod: name, line: "Terminating" };
    if (st.phase === "Failed") return { pod: name, line: `Failed${st.reason ? `: ${st.reason}` : ""}${st.message ? `: ${clip(st.message, 160)}` : ""}` };
    const scheduled = (st.conditions ?? []).find((c) => c.type === "PodScheduled");
    if (scheduled?.status === "False") {
        return { pod: name, line: `Pending: ${scheduled.reason ?? "not scheduled"}${scheduled.message ? `: ${clip(scheduled.message, 200)}` : ""}` };
    }
    for (const [list, init] of [[st.initContainerStatuses, true], [st.containerStatuses, false]] as const) {
        for (const c of list ?? []) {
            const p = containerProblem(c, init);
            if (p) return { pod: name, ...p, line: `${st.phase === "Pending" && !p.line.startsWith("Pending") ? "Pending, " : ""}${p.line}` };
        }
    }
    if (!pod.spec?.nodeName) return { pod: name, line: "Pending: not scheduled yet (no scheduler has placed it, and none said why)" };
    return { pod: name, line: `${st.phase ?? "Pending"} on ${pod.spec.nodeName}, not ready` };
}

/** The last lines of a log, each clipped, blank lines dropped. */
export function logTail(text: string, lines = LIMITS.logLines): string[] {
    return text
        .split("\n")
        .map((l) => l.trimEnd())
        .filter((l) => l.trim() !== "")
        .slice(-lines)
        .map((l) => clip(l));
}

const when = (e: KubeEvent) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? "";

/** The events about these objects, newest last, Warnings first among equals, repeats folded, at most LIMITS.events. */
export function eventLines(events: KubeEvent[], about: (name: string) => boolean): string[] {
    const seen = new Map<string, { e: KubeEvent; count: number }>();
    for (const e of [...events].filter((x) => about(x.involvedObject?.name ?? "")).sort((a, b) => when(a).localeCompare(when(b)))) {
        const key = `${e.type}|${e.reason}|${e.involvedObject?.kind}/${e.involvedObject?.name}|${e.message}`;
        const prev = seen.get(key);
        seen.delete(key);
        seen.set(key, { e, count: (prev?.count ?? 0) + (e.count ?? 1) });
    }
    const all = [...seen.values()];
    const warnings = all.filter((x) => x.e.type === "Warning");
    const chosen = (warnings.length >= LIMITS.events ? warnings : all).slice(-LIMITS.events);
    return chosen.map(({ e, count }) => clip(`${e.type ?? "Normal"} ${e.reason ?? ""} ${(e.involvedObject?.kind ?? "").toLowerCase()}/${e.involvedObject?.name ?? ""}: ${e.message ?? ""}${count > 1 ? ` (×${count})` : ""}`));
}

/** One not-ready workload with what was found about it. */
export interface WorkloadDiagnosis {
    state: WorkloadState;
    pods: (PodProblem & { log?: string[] })[];
    /** Pods beyond LIMITS.pods, not shown. */
    morePods: number;
}

/** The diagnosis as the lines of one error message. */
export function formatDiagnosis(title: string, workloads: WorkloadDiagnosis[], events: string[]): string {
    const out = [title];
    for (const w of workloads) {
        out.push(`  ${w.state.summary}`);
        if (w.pods.length === 0) out.push("    no pods (its controller has created none: see the events)");
        for (const p of w.pods) {
            out.push(`    pod ${p.pod}: ${p.line}`);
            for (const l of p.log ?? []) out.push(`      | ${l}`);
        }
        if (w.morePods > 0) out.push(`    and ${w.morePods} more pod(s) not ready`);
    }
    if (events.length > 0) out.push("  events (oldest first):", ...events.map((e) => `    ${e}`));
    return out.join("\n");
}

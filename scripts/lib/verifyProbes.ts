import { logTail, podProblem, selectorQuery, type Pod } from "../../components/k8s/diagnosis";
import { apiMessage, getJson, type KubeApi } from "../../components/k8s/kubeApi";
import { realClock, type Clock } from "../../components/k8s/readiness";
import { roleSecretName } from "../../components/platform/services/postgres";
import type { Check, HttpExpect, Row } from "./verify";

/*
 * Runs `npm run verify`'s checks against the API server: HTTP through its
 * service proxy (/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/…),
 * pods through their status, PostgreSQL through a one-shot psql pod. Each
 * answer becomes one row; a service without ready pods is explained with
 * the pods' diagnosis.
 */

type Check_<K extends Check["kind"]> = Extract<Check, { kind: K }>;
const ok = (name: string, reason: string): Row => ({ name, state: "ok", reason });
const down = (name: string, reason: string): Row => ({ name, state: "down", reason });

/** The first not-ready pod matching a selector and its reason, or why there is none. */
async function podsReason(api: KubeApi, namespace: string, selector: Record<string, string>): Promise<string> {
    const q = encodeURIComponent(selectorQuery({ matchLabels: selector }));
    const pods = (await getJson<{ items: Pod[] }>(api, `/api/v1/namespaces/${namespace}/pods?labelSelector=${q}`))?.items ?? [];
    if (pods.length === 0) return "no pods match its selector";
    const problems = pods.map(podProblem).filter((p) => p !== undefined);
    if (problems.length === 0) return `${pods.length} pod(s), all ready`;
    const first = problems[0];
    return `${problems.length} of ${pods.length} pod(s) not ready; ${first.pod}: ${first.line}`;
}

/** A model as Ollama lists it (`llama3` is `llama3:latest`). */
const modelName = (m: string) => (m.includes(":") ? m : `${m}:latest`);

function judge(expect: HttpExpect, body: string): { ok: boolean; reason: string } {
    const json = () => JSON.parse(body) as Record<string, unknown>;
    switch (expect.kind) {
        case "status":
            return { ok: true, reason: "answers" };
        case "ollama-models": {
            const have = ((json().models as { name?: string }[] | undefined) ?? []).map((m) => m.name ?? "");
            const missing = expect.models.filter((m) => !have.includes(modelName(m)));
            if (missing.length > 0) return { ok: false, reason: `missing model(s) ${missing.join(", ")}; it lists ${have.join(", ") || "none"} (the pull runs at start: see the pod's log)` };
            return { ok: true, reason: expect.models.length > 0 ? `lists the configured models: ${expect.models.join(", ")}` : "answers (no models configured)" };
        }
        case "rocketchat-info": {
            const info = json();
            return info.success === true ? { ok: true, reason: `Rocket.Chat ${String(info.version ?? "?")}` } : { ok: false, reason: `/api/info says success: ${String(info.success)}` };
        }
        case "grafana-health": {
            const h = json();
            return h.database === "ok" ? { ok: true, reason: `Grafana ${String(h.version ?? "?")}, database ok` } : { ok: false, reason: `database: ${String(h.database)}` };
        }
    }
}

/** An HTTP check through the API server's service proxy. */
export async function httpProbe(api: KubeApi, c: Check_<"http">): Promise<Row> {
    const path = `/api/v1/namespaces/${c.namespace}/services/${c.service}:${c.port}/proxy${c.path}`;
    const r = await api.request("GET", path);
    if (r.status >= 200 && r.status < 300) {
        try {
            const v = judge(c.expect, r.body);
            return v.ok ? ok(c.name, `${c.service}:${c.port}${c.path}: ${v.reason}`) : down(c.name, `${c.service}:${c.port}${c.path}: ${v.reason}`);
        } catch {
            return down(c.name, `${c.service}:${c.port}${c.path}: HTTP ${r.status} but not the JSON it serves: ${r.body.trim().slice(0, 120)}`);
        }
    }
    const message = apiMessage(r.body);
    // The proxy's own failures: a 404 for a Service that exists but has no endpoints yet (the API server
    // names the Service either way), no ready endpoints, a refused connection. Say why its pods do not answer.
    if (r.status === 404 || r.status === 503 || r.status === 502 || /no endpoints|error trying to reach/i.test(message)) {
        const svc = await getJson<{ spec?: { selector?: Record<string, string> } }>(api, `/api/v1/namespaces/${c.namespace}/services/${c.service}`).catch(() => undefined);
        if (r.status === 404 && !svc) return down(c.name, `Service ${c.namespace}/${c.service} does not exist`);
        const pods = svc?.spec?.selector ? await podsReason(api, c.namespace, svc.spec.selector).catch((e: Error) => `its pods could not be read: ${e.message}`) : "";
        const why = r.status === 404 ? "no endpoints (the API server's proxy finds none)" : message;
        return down(c.name, `${c.service}:${c.port}${c.path}: ${why}${pods ? `; ${pods}` : ""}`);
    }
    return down(c.name, `${c.service}:${c.port}${c.path}: HTTP ${r.status}${message ? ` ${message}` : ""}`);
}

/** Pods whose readiness probe is the check (the agent host's Health RPC). */
export async function podsProbe(api: KubeApi, c: Check_<"pods">): Promise<Row> {
    const q = encodeURIComponent(selectorQuery({ matchLabels: c.selector }));
    const pods = (await getJson<{ items: Pod[] }>(api, `/api/v1/namespaces/${c.namespace}/pods?labelSelector=${q}`))?.items ?? [];
    if (pods.length === 0) return down(c.name, `no pods in ${c.namespace} match ${selectorQuery({ matchLabels: c.selector })}`);
    const problems = pods.map(podProblem).filter((p) => p !== undefined);
    const ready = pods.length - problems.length;
    if (problems.length === 0) return ok(c.name, `${ready} of ${pods.length} ${c.what}`);
    return down(c.name, `${ready} of ${pods.length} ${c.what}; ${problems[0].pod}: ${problems[0].line}`);
}

/** The one-shot pod that connects as the database's owner with the role's Secret (never read by this program). */
export function psqlPod(c: Check_<"postgres">, podName: string, timeoutSeconds: number): Record<string, unknown> {
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: roleSecretName(c.owner), key } } });
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: podName, labels: { "app.kubernetes.io/name": "picluster-verify", "app.kubernetes.io/part-of": "picluster" } },
        spec: {
            restartPolicy: "Never",
            activeDeadlineSeconds: timeoutSeconds,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...(Object.keys(c.nodeSelector).length > 0 ? { nodeSelector: c.nodeSelector } : {}),
            securityContext: { runAsNonRoot: true, runAsUser: 26, runAsGroup: 26, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "psql",
                    image: c.image,
                    command: ["psql", "-tAc", "select 1"],
                    env: [
                        { name: "PGHOST", value: "postgres-rw" },
                        { name: "PGDATABASE", value: c.database },
                        { name: "PGUSER", ...fromSecret("username") },
                        { name: "PGPASSWORD", ...fromSecret("password") },
                        { name: "PGCONNECT_TIMEOUT", value: "5" },
                    ],
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                },
            ],
        },
    };
}

/** Whether each app's `<app>-postgres` Secret holds the role's password (compared here, never printed). */
async function appSecretsProblem(api: KubeApi, c: Check_<"postgres">): Promise<string | undefined> {
    if (c.appSecrets.length === 0) return undefined;
    const role = await getJson<{ data?: Record<string, string> }>(api, `/api/v1/namespaces/postgres/secrets/${roleSecretName(c.owner)}`);
    const want = role?.data?.password;
    for (const s of c.appSecrets) {
        const app = await getJson<{ data?: Record<string, string> }>(api, `/api/v1/namespaces/${s.namespace}/secrets/${s.name}`);
        if (!app) return `the app ${s.app}'s Secret ${s.namespace}/${s.name} does not exist`;
        if (app.data?.PGPASSWORD !== want) return `the app ${s.app}'s Secret ${s.namespace}/${s.name} holds another password than the role's ${roleSecretName(c.owner)}: run up`;
    }
    return undefined;
}

/** Connects as the database's owner from a one-shot pod beside the database; bounded; the pod is always deleted. */
export async function postgresProbe(api: KubeApi, c: Check_<"postgres">, timeoutSeconds: number, clock: Clock = realClock): Promise<Row> {
    const mismatch = await appSecretsProblem(api, c);
    if (mismatch) return down(c.name, mismatch);
    const name = `picluster-verify-${c.database.replace(/_/g, "-")}-${Math.floor(clock.now() % 1e6).toString(36)}`.slice(0, 63);
    const pods = "/api/v1/namespaces/postgres/pods";
    const created = await api.request("POST", pods, psqlPod(c, name, timeoutSeconds));
    if (created.status >= 300) return down(c.name, `could not start the psql pod: HTTP ${created.status} ${apiMessage(created.body)}`);
    const deadline = clock.now() + timeoutSeconds * 1000;
    try {
        let pod: Pod | undefined;
        for (;;) {
            pod = await getJson<Pod>(api, `${pods}/${name}`);
            const phase = pod?.status?.phase;
            if (phase === "Succeeded" || phase === "Failed") break;
            if (clock.now() >= deadline) return down(c.name, `psql pod ${name} did not finish within ${timeoutSeconds} s: ${pod ? (podProblem(pod)?.line ?? phase) : "gone"}`);
            await clock.sleep(Math.min(2000, deadline - clock.now()));
        }
        const log = await api.request("GET", `${pods}/${name}/log?tailLines=5`);
        const lines = logTail(log.status === 200 ? log.body : "", 5);
        if (pod?.status?.phase === "Succeeded" && lines.includes("1")) return ok(c.name, `connects to ${c.database} as ${c.owner} with its Secret (select 1)`);
        return down(c.name, `psql as ${c.owner}: ${lines.at(-1) ?? pod?.status?.phase ?? "no output"}`);
    } finally {
        await api.request("DELETE", `${pods}/${name}`).catch(() => undefined);
    }
}

/** One check, one row; a probe that throws is a row too. */
export async function runCheck(api: KubeApi, c: Check, opts: { timeoutSeconds: number; clock?: Clock }): Promise<Row> {
    try {
        if (c.kind === "skip") return { name: c.name, state: "skipped", reason: c.reason };
        if (c.kind === "http") return await httpProbe(api, c);
        if (c.kind === "pods") return await podsProbe(api, c);
        return await postgresProbe(api, c, opts.timeoutSeconds, opts.clock);
    } catch (e) {
        return down(c.name, (e as Error).message);
    }
}

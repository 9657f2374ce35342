import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpsKubeApi, type KubeApi, type KubeResponse } from "../../../components/k8s/kubeApi";
import type { Clock } from "../../../components/k8s/readiness";
import { planStack } from "../../../plan/plan";
import { formatTable, verifyChecks, type Check } from "../../../scripts/lib/verify";
import { httpProbe, podsProbe, postgresProbe, psqlPod, runCheck } from "../../../scripts/lib/verifyProbes";
import { stackSource } from "../../helpers/stacks";

const pods = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "k8s", "fixtures", "pods.json"), "utf8")) as Record<string, Record<string, unknown>>;
type Route = unknown | ((method: string, p: string, body?: unknown) => KubeResponse);

/** A fake API server by method and path (query left out); every request recorded. */
function fakeApi(routes: Record<string, Route>): KubeApi & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        async request(method, p, body) {
            asked.push(`${method} ${p}`);
            const bare = p.split("?")[0];
            const r = routes[`${method} ${bare}`] ?? routes[bare];
            if (r === undefined) return { status: 404, body: JSON.stringify({ kind: "Status", message: `${bare} not found` }) };
            return typeof r === "function" ? (r as (m: string, p: string, b?: unknown) => KubeResponse)(method, p, body) : { status: 200, body: JSON.stringify(r) };
        },
    };
}
const proxied = (ns: string, svc: string, port: number | string, p: string) => `/api/v1/namespaces/${ns}/services/${svc}:${port}/proxy${p}`;
const check = <K extends Check["kind"]>(c: Extract<Check, { kind: K }>) => c;

describe("what verify probes, from the stack's plan", () => {
    it("gives the pi stack a row per enabled service, database, preset, app and the agent host", () => {
        const names = verifyChecks(planStack(stackSource("pi"))).map((c) => `${c.name}:${c.kind}`);
        expect(names).toEqual(
            expect.arrayContaining(["ollama:http", "prometheus:http", "grafana:http", "postgres/analytics:postgres", "postgres/placemyparents:postgres", "rocketchat:http", "catalog/jupyterhub:http", "catalog/headlamp:http", "apps/placemyparents:http", "agent-host:pods"]),
        );
    });

    it("skips an external Ollama, and checks an app's Secret against its database's role", () => {
        const checks = verifyChecks(planStack(stackSource("dev")));
        expect(checks.find((c) => c.name === "ollama")).toEqual({ name: "ollama", kind: "skip", reason: "outside the cluster (http://192.168.56.1:11434): not probed from inside" });
        const pg = checks.find((c) => c.name === "postgres/placemyparents") as Extract<Check, { kind: "postgres" }>;
        expect(pg).toMatchObject({ owner: "placemyparents", appSecrets: [{ app: "placemyparents", namespace: "placemyparents", name: "placemyparents-postgres" }] });
        expect(pg.image).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:16\./);
    });
});

describe("HTTP through the API server's service proxy", () => {
    const ollama = check<"http">({ name: "ollama", kind: "http", namespace: "ai-services", service: "ollama-service", port: 11434, path: "/api/tags", expect: { kind: "ollama-models", models: ["llama3:8b", "nomic-embed-text"] } });
    const tags = proxied("ai-services", "ollama-service", 11434, "/api/tags");

    it("finds Ollama's configured models in /api/tags (a bare name is its :latest)", async () => {
        const api = fakeApi({ [tags]: { models: [{ name: "llama3:8b" }, { name: "nomic-embed-text:latest" }] } });
        expect(await httpProbe(api, ollama)).toEqual({ name: "ollama", state: "ok", reason: "ollama-service:11434/api/tags: lists the configured models: llama3:8b, nomic-embed-text" });
    });

    it("names the models Ollama does not list", async () => {
        const r = await httpProbe(fakeApi({ [tags]: { models: [{ name: "llama3:8b" }] } }), ollama);
        expect(r).toMatchObject({ state: "down", reason: expect.stringContaining("missing model(s) nomic-embed-text; it lists llama3:8b") });
    });

    const rocketchat = check<"http">({ name: "rocketchat", kind: "http", namespace: "rocketchat", service: "rocketchat-rocketchat", port: 80, path: "/api/info", expect: { kind: "rocketchat-info" } });
    const info = proxied("rocketchat", "rocketchat-rocketchat", 80, "/api/info");

    it("reads Rocket.Chat's version from /api/info, and refuses an answer that is not its JSON", async () => {
        expect(await httpProbe(fakeApi({ [info]: { version: "8.6.1", success: true } }), rocketchat)).toMatchObject({ state: "ok", reason: "rocketchat-rocketchat:80/api/info: Rocket.Chat 8.6.1" });
        expect(await httpProbe(fakeApi({ [info]: { success: false } }), rocketchat)).toMatchObject({ state: "down" });
        const html = fakeApi({ [info]: () => ({ status: 200, body: "<html>setup</html>" }) });
        expect((await httpProbe(html, rocketchat)).reason).toContain("HTTP 200 but not the JSON it serves");
    });

    const grafana = check<"http">({ name: "grafana", kind: "http", namespace: "monitoring", service: "monitoring-grafana", port: 80, path: "/api/health", expect: { kind: "grafana-health" } });
    const health = proxied("monitoring", "monitoring-grafana", 80, "/api/health");

    it("reads Grafana's /api/health: its database must be ok", async () => {
        expect(await httpProbe(fakeApi({ [health]: { database: "ok", version: "12.1.0" } }), grafana)).toMatchObject({ state: "ok", reason: "monitoring-grafana:80/api/health: Grafana 12.1.0, database ok" });
        expect(await httpProbe(fakeApi({ [health]: { database: "failing" } }), grafana)).toMatchObject({ state: "down", reason: "monitoring-grafana:80/api/health: database: failing" });
    });

    it("explains a Service without ready pods with the pods' diagnosis", async () => {
        const api = fakeApi({
            [health]: () => ({ status: 503, body: JSON.stringify({ kind: "Status", message: 'no endpoints available for service "monitoring-grafana"' }) }),
            "/api/v1/namespaces/monitoring/services/monitoring-grafana": { spec: { selector: { "app.kubernetes.io/name": "grafana" } } },
            "/api/v1/namespaces/monitoring/pods": { items: [pods.crashLoop] },
        });
        expect(await httpProbe(api, grafana)).toEqual({
            name: "grafana",
            state: "down",
            reason: 'monitoring-grafana:80/api/health: no endpoints available for service "monitoring-grafana"; 1 of 1 pod(s) not ready; rocketchat-rocketchat-7d9c6f5b8-x2k4p: CrashLoopBackOff: container rocketchat restarted 7 times, last exit 1 (Error)',
        });
        expect(api.asked).toContain("GET /api/v1/namespaces/monitoring/pods?labelSelector=app.kubernetes.io%2Fname%3Dgrafana");
    });

    it("tells a Service without endpoints (the proxy answers 404, naming the Service) from one that does not exist", async () => {
        const api = fakeApi({
            [health]: () => ({ status: 404, body: JSON.stringify({ kind: "Status", message: 'services "monitoring-grafana" not found' }) }),
            "/api/v1/namespaces/monitoring/services/monitoring-grafana": { spec: { selector: { "app.kubernetes.io/name": "grafana" } } },
            "/api/v1/namespaces/monitoring/pods": { items: [] },
        });
        expect(await httpProbe(api, grafana)).toMatchObject({ state: "down", reason: "monitoring-grafana:80/api/health: no endpoints (the API server's proxy finds none); no pods match its selector" });
    });

    it("says when the Service does not exist, and passes any other status on", async () => {
        const status = check<"http">({ name: "catalog/headlamp", kind: "http", namespace: "headlamp", service: "headlamp", port: 80, path: "/", expect: { kind: "status" } });
        const missing = fakeApi({ [proxied("headlamp", "headlamp", 80, "/")]: () => ({ status: 404, body: JSON.stringify({ kind: "Status", message: 'services "headlamp" not found' }) }) });
        expect(await httpProbe(missing, status)).toMatchObject({ state: "down", reason: "Service headlamp/headlamp does not exist" });
        expect(await httpProbe(fakeApi({ [proxied("headlamp", "headlamp", 80, "/")]: () => ({ status: 500, body: "boom" }) }), status)).toMatchObject({ state: "down", reason: "headlamp:80/: HTTP 500 boom" });
        expect(await httpProbe(fakeApi({ [proxied("headlamp", "headlamp", 80, "/")]: () => ({ status: 200, body: "<html>" }) }), status)).toMatchObject({ state: "ok", reason: "headlamp:80/: answers" });
    });

    describe("over a real connection", () => {
        let server: http.Server;
        let url = "";
        beforeAll(async () => {
            server = http.createServer((req, res) => {
                if (req.headers.authorization !== "Bearer verify-token") return void res.writeHead(401).end(JSON.stringify({ message: "Unauthorized" }));
                if (req.url === tags) return void res.writeHead(200).end(JSON.stringify({ models: [{ name: "llama3:8b" }] }));
                res.writeHead(404).end(JSON.stringify({ message: "not found" }));
            });
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        });
        afterAll(() => server.close());

        it("asks the API server's proxy path with the kubeconfig's token", async () => {
            const one = { ...ollama, expect: { kind: "ollama-models" as const, models: ["llama3:8b"] } };
            expect(await httpProbe(httpsKubeApi({ server: url, token: "verify-token" }), one)).toMatchObject({ state: "ok" });
            expect(await httpProbe(httpsKubeApi({ server: url, token: "wrong" }), one)).toMatchObject({ state: "down", reason: "ollama-service:11434/api/tags: HTTP 401 Unauthorized" });
        });
    });
});

describe("pods whose readiness probe is the check", () => {
    const agentHost = check<"pods">({ name: "agent-host", kind: "pods", namespace: "rustic-ai", selector: { app: "agent-host" }, what: "pods answer the Health RPC" });
    const list = "/api/v1/namespaces/rustic-ai/pods";

    it("counts the pods that answer", async () => {
        expect(await podsProbe(fakeApi({ [list]: { items: [pods.ready, pods.ready] } }), agentHost)).toEqual({ name: "agent-host", state: "ok", reason: "2 of 2 pods answer the Health RPC" });
    });

    it("names the first that does not, and says when there are none", async () => {
        expect(await podsProbe(fakeApi({ [list]: { items: [pods.ready, pods.notReady] } }), agentHost)).toMatchObject({
            state: "down",
            reason: "1 of 2 pods answer the Health RPC; agent-host-6d5f4c9b7-q8w3e: Running, not ready: container agent-host fails its readiness probe",
        });
        expect(await podsProbe(fakeApi({ [list]: { items: [] } }), agentHost)).toMatchObject({ state: "down", reason: "no pods in rustic-ai match app=agent-host" });
    });
});

describe("a database reached with its owner's Secret", () => {
    const pg = check<"postgres">({ name: "postgres/shop", kind: "postgres", database: "shop", owner: "shop", image: "ghcr.io/cloudnative-pg/postgresql:16.15", nodeSelector: { "kubernetes.io/arch": "amd64" }, appSecrets: [{ app: "shop", namespace: "shop", name: "shop-postgres" }] });
    const secret = (password: string) => ({ data: { password: Buffer.from(password).toString("base64"), PGPASSWORD: Buffer.from(password).toString("base64") } });
    const clock = (): Clock => { let t = 0; return { now: () => t, sleep: async (ms) => void (t += ms) }; };
    const podsPath = "/api/v1/namespaces/postgres/pods";

    /** The psql pod's life: its phase after creation, its log. */
    function cluster(phase: string, log: string, appPassword = "pw") {
        let created: Record<string, any> | undefined;
        const routes: Record<string, Route> = {
            "/api/v1/namespaces/postgres/secrets/pg-role-shop": secret("pw"),
            "/api/v1/namespaces/shop/secrets/shop-postgres": secret(appPassword),
            [`POST ${podsPath}`]: (_m: string, _p: string, body?: unknown) => ((created = body as Record<string, any>), { status: 201, body: "{}" }),
        };
        const api = fakeApi(routes);
        const request = api.request.bind(api);
        api.request = async (method, p, body) => {
            const name = created?.metadata.name;
            if (name && p.startsWith(`${podsPath}/${name}`)) api.asked.push(`${method} ${p}`);
            if (name && p === `${podsPath}/${name}` && method === "GET") return { status: 200, body: JSON.stringify(phase === "Pending" ? pods.unbound : { metadata: { name }, status: { phase } }) };
            if (name && p.startsWith(`${podsPath}/${name}/log`)) return { status: 200, body: log };
            if (name && p === `${podsPath}/${name}` && method === "DELETE") return { status: 200, body: "{}" };
            return request(method, p, body);
        };
        return { api, pod: () => created };
    }

    it("connects from a one-shot restricted pod that reads the role's Secret itself, and deletes it", async () => {
        const { api, pod } = cluster("Succeeded", "1\n");
        expect(await postgresProbe(api, pg, 30, clock())).toEqual({ name: "postgres/shop", state: "ok", reason: "connects to shop as shop with its Secret (select 1)" });
        const spec = pod()!.spec;
        expect(spec.containers[0].env).toContainEqual({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pg-role-shop", key: "password" } } });
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(api.asked.filter((a) => a.startsWith("DELETE"))).toEqual([`DELETE ${podsPath}/${pod()!.metadata.name}`]);
    });

    it("names psql's own error when the connection is refused", async () => {
        const { api } = cluster("Failed", 'psql: error: connection to server at "postgres-rw" (10.43.0.12), port 5432 failed: FATAL:  password authentication failed for user "shop"\n');
        expect(await postgresProbe(api, pg, 30, clock())).toMatchObject({ state: "down", reason: expect.stringContaining('psql as shop: psql: error: connection to server at "postgres-rw"') });
    });

    it("gives up at its bound with the pod's diagnosis, and still deletes the pod", async () => {
        const { api, pod } = cluster("Pending", "");
        const r = await postgresProbe(api, pg, 10, clock());
        expect(r).toMatchObject({ state: "down", reason: expect.stringMatching(/did not finish within 10 s: Pending: not scheduled yet/) });
        expect(api.asked).toContain(`DELETE ${podsPath}/${pod()!.metadata.name}`);
    });

    it("refuses an app Secret that holds another password than the role's, without starting a pod or printing either", async () => {
        const { api } = cluster("Succeeded", "1\n", "stale");
        const r = await postgresProbe(api, pg, 30, clock());
        expect(r).toMatchObject({ state: "down", reason: "the app shop's Secret shop/shop-postgres holds another password than the role's pg-role-shop: run up" });
        expect(api.asked.some((a) => a.startsWith("POST"))).toBe(false);
        expect(JSON.stringify(r)).not.toMatch(/stale|"pw"/);
    });

    it("says why the pod could not start (Pod Security, quota)", async () => {
        const api = fakeApi({
            "/api/v1/namespaces/postgres/secrets/pg-role-shop": secret("pw"),
            "/api/v1/namespaces/shop/secrets/shop-postgres": secret("pw"),
            [`POST ${podsPath}`]: () => ({ status: 403, body: JSON.stringify({ message: 'pods "x" is forbidden: violates PodSecurity "restricted:latest"' }) }),
        });
        expect(await postgresProbe(api, pg, 30, clock())).toMatchObject({ state: "down", reason: 'could not start the psql pod: HTTP 403 pods "x" is forbidden: violates PodSecurity "restricted:latest"' });
    });

    it("builds a pod the restricted Pod Security level admits", () => {
        const p = psqlPod({ ...pg, nodeSelector: {} }, "picluster-verify-shop", 30) as Record<string, any>;
        expect(p.spec).not.toHaveProperty("nodeSelector");
        expect(p.spec.containers[0].resources.limits).toEqual({ cpu: "200m", memory: "64Mi" });
    });
});

describe("the table", () => {
    it("prints one row per check, a probe that throws included", async () => {
        const thrower: KubeApi = { request: async () => Promise.reject(new Error("connect ECONNREFUSED 192.168.1.10:6443")) };
        const rows = [
            await runCheck(thrower, { name: "grafana", kind: "http", namespace: "monitoring", service: "monitoring-grafana", port: 80, path: "/api/health", expect: { kind: "grafana-health" } }, { timeoutSeconds: 5 }),
            await runCheck(thrower, { name: "ollama", kind: "skip", reason: "outside the cluster" }, { timeoutSeconds: 5 }),
        ];
        expect(formatTable(rows)).toBe(
            ["service  state    reason", "-------  -------  ------", "grafana  down     connect ECONNREFUSED 192.168.1.10:6443", "ollama   skipped  outside the cluster"].join("\n"),
        );
    });
});

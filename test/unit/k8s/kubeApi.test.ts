import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, httpsKubeApi, kubeConnection } from "../../../components/k8s/kubeApi";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const kubeconfig = (user: Record<string, unknown>, server = "https://192.168.1.10:6443") =>
    yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "picluster-pi",
        clusters: [{ name: "other", cluster: { server: "https://elsewhere:6443" } }, { name: "pi", cluster: { server, "certificate-authority-data": b64("CA PEM") } }],
        contexts: [{ name: "other", context: { cluster: "other", user: "other" } }, { name: "picluster-pi", context: { cluster: "pi", user: "admin" } }],
        users: [{ name: "other", user: { token: "not-this" } }, { name: "admin", user }],
    });

describe("the kubeconfig's current context", () => {
    it("gives the server, its CA and a token", () => {
        expect(kubeConnection(kubeconfig({ token: "t0k3n" }))).toEqual({ server: "https://192.168.1.10:6443", ca: "CA PEM", insecure: false, token: "t0k3n", cert: undefined, key: undefined });
    });

    it("gives a client certificate and key", () => {
        expect(kubeConnection(kubeconfig({ "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }))).toMatchObject({ cert: "CERT", key: "KEY", token: undefined });
    });

    it("runs an exec credential plugin once, as kubectl does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeapi-"));
        const plugin = path.join(dir, "plugin.sh");
        fs.writeFileSync(plugin, `#!/bin/sh\nprintf '{"kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_TOKEN"\n`, { mode: 0o755 });
        try {
            expect(kubeConnection(kubeconfig({ exec: { command: plugin, env: [{ name: "PLUGIN_TOKEN", value: "from-plugin" }] } })).token).toBe("from-plugin");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("requests to the API server", () => {
    let server: http.Server;
    let url = "";
    const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
    beforeAll(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
                if (req.url?.startsWith("/missing")) return void res.writeHead(404).end(JSON.stringify({ kind: "Status", message: "not found" }));
                if (req.url?.startsWith("/denied")) return void res.writeHead(403).end(JSON.stringify({ kind: "Status", message: 'pods is forbidden: User "x" cannot list' }));
                if (req.url?.startsWith("/slow")) return; // never answers
                res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ok: true, path: req.url }));
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => {
        server.closeAllConnections();
        server.close();
    });

    it("sends the bearer token and a JSON body, and reads the answer", async () => {
        const api = httpsKubeApi({ server: url, token: "t0k3n" });
        const r = await api.request("POST", "/api/v1/namespaces/x/pods", { kind: "Pod" });
        expect(r.status).toBe(200);
        expect(seen.at(-1)).toEqual({ method: "POST", url: "/api/v1/namespaces/x/pods", auth: "Bearer t0k3n", body: '{"kind":"Pod"}' });
    });

    it("reads JSON, undefined for a 404, and an error naming the path and the API's message otherwise", async () => {
        const api = httpsKubeApi({ server: url });
        expect(await getJson(api, "/api/v1/x")).toEqual({ ok: true, path: "/api/v1/x" });
        expect(await getJson(api, "/missing")).toBeUndefined();
        await expect(getJson(api, "/denied?labelSelector=a")).rejects.toThrow('GET /denied: 403 pods is forbidden: User "x" cannot list');
    });

    it("gives up on a server that does not answer within its bound", async () => {
        await expect(httpsKubeApi({ server: url }, 200).request("GET", "/slow")).rejects.toThrow(/GET 127\.0\.0\.1:\d+\/slow: GET \/slow: no answer within 0\.2 s/);
    });
});

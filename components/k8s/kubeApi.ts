/*
 * A minimal Kubernetes API client over Node's https, from a kubeconfig's
 * text: no kubectl, nothing on the workstation but the program. Used inside
 * the release readiness provider (which Pulumi serialises: modules are
 * required inside the functions) and by `npm run verify`.
 */

/** Where the API server is and how to authenticate to it (plain values: never logged). */
export interface KubeConnection {
    server: string;
    ca?: string;
    insecure?: boolean;
    token?: string;
    cert?: string;
    key?: string;
}

/** One API answer: the status code and the body as text. */
export interface KubeResponse {
    status: number;
    body: string;
}

/** What the readiness wait and the probes ask of the API server. */
export interface KubeApi {
    request(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<KubeResponse>;
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
    "current-context"?: string;
    contexts?: Named<{ context: { cluster: string; user: string } }>[];
    clusters?: Named<{ cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string; "insecure-skip-tls-verify"?: boolean } }>[];
    users?: Named<{
        user: {
            token?: string;
            tokenFile?: string;
            "client-certificate-data"?: string;
            "client-key-data"?: string;
            "client-certificate"?: string;
            "client-key"?: string;
            exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
        };
    }>[];
}

/** The current context's server and credentials; an exec plugin is run once, as kubectl would. */
export function kubeConnection(kubeconfig: string): KubeConnection {
    // Required here, not imported: Pulumi serialises the readiness provider with this function.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const yaml = require("js-yaml") as typeof import("js-yaml");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    const kc = yaml.load(kubeconfig) as Kubeconfig;
    const ctxName = kc["current-context"] ?? kc.contexts?.[0]?.name;
    const ctx = kc.contexts?.find((c) => c.name === ctxName)?.context ?? kc.contexts?.[0]?.context;
    const cluster = (kc.clusters?.find((c) => c.name === ctx?.cluster) ?? kc.clusters?.[0])?.cluster;
    const user = (kc.users?.find((u) => u.name === ctx?.user) ?? kc.users?.[0])?.user ?? {};
    if (!cluster?.server) throw new Error("the kubeconfig names no cluster server");
    const b64 = (s?: string) => (s ? Buffer.from(s, "base64").toString("utf8") : undefined);
    const file = (p?: string) => (p ? fs.readFileSync(p, "utf8") : undefined);
    const conn: KubeConnection = {
        server: cluster.server.replace(/\/$/, ""),
        ca: b64(cluster["certificate-authority-data"]) ?? file(cluster["certificate-authority"]),
        insecure: cluster["insecure-skip-tls-verify"] === true,
        token: user.token ?? file(user.tokenFile)?.trim(),
        cert: b64(user["client-certificate-data"]) ?? file(user["client-certificate"]),
        key: b64(user["client-key-data"]) ?? file(user["client-key"]),
    };
    if (user.exec && !conn.token && !conn.cert) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { execFileSync } = require("child_process") as typeof import("child_process");
        const env = { ...process.env, ...Object.fromEntries((user.exec.env ?? []).map((e) => [e.name, e.value])) };
        const out = JSON.parse(execFileSync(user.exec.command, user.exec.args ?? [], { env, encoding: "utf8", timeout: 30000 })) as { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string } };
        conn.token = out.status?.token;
        conn.cert = out.status?.clientCertificateData;
        conn.key = out.status?.clientKeyData;
    }
    return conn;
}

/** A KubeApi over https with the connection's CA and credentials; each request bounded by `timeoutMs`. */
export function httpsKubeApi(conn: KubeConnection, timeoutMs = 15000): KubeApi {
    return {
        request(method, path, body) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const https = require("https") as typeof import("https");
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const http = require("http") as typeof import("http");
            const url = new URL(conn.server + path);
            const payload = body === undefined ? undefined : JSON.stringify(body);
            const headers: Record<string, string> = { Accept: "application/json, */*" };
            if (conn.token) headers.Authorization = `Bearer ${conn.token}`;
            if (payload !== undefined) {
                headers["Content-Type"] = "application/json";
                headers["Content-Length"] = String(Buffer.byteLength(payload));
            }
            const transport = url.protocol === "http:" ? http : https;
            return new Promise<KubeResponse>((resolve, reject) => {
                const req = transport.request(
                    url,
                    { method, headers, ca: conn.ca, cert: conn.cert, key: conn.key, rejectUnauthorized: !conn.insecure, timeout: timeoutMs },
                    (res) => {
                        const chunks: Buffer[] = [];
                        res.on("data", (c: Buffer) => chunks.push(c));
                        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
                        res.on("error", reject);
                    },
                );
                req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer within ${timeoutMs / 1000} s`)));
                req.on("error", (e) => reject(new Error(`${method} ${url.host}${url.pathname}: ${e.message}`)));
                req.end(payload);
            });
        },
    };
}

/** GETs JSON; undefined on 404, an Error naming the path and status otherwise. */
export async function getJson<T>(api: KubeApi, path: string): Promise<T | undefined> {
    const r = await api.request("GET", path);
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300) throw new Error(`GET ${path.split("?")[0]}: ${r.status} ${apiMessage(r.body)}`);
    return JSON.parse(r.body) as T;
}

/** The `message` of an API Status body, else the body's first 200 characters. */
export function apiMessage(body: string): string {
    try {
        const s = JSON.parse(body) as { message?: string };
        if (s.message) return s.message;
    } catch {
        // not JSON: the body itself
    }
    return body.trim().slice(0, 200);
}

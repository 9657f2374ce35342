import * as crypto from "crypto";

/*
 * Just enough S3 for `npm run state -- migrate` to copy a stack's update
 * history into an S3-compatible bucket (the Pulumi CLI moves the stack
 * itself): AWS Signature Version 4 over PUT and GET, with the bucket and
 * endpoint read from a Pulumi `s3://` backend URL. The signer reproduces
 * AWS's published examples (test/unit/day2/s3.test.ts).
 */

export interface S3Target {
    bucket: string;
    /** Key prefix inside the bucket (`s3://bucket/prefix`), "" or ending in "/". */
    prefix: string;
    region: string;
    /** Scheme and host of the endpoint, e.g. http://nas:9000; AWS's when the URL names none. */
    endpoint: string;
    pathStyle: boolean;
}

export interface S3Credentials {
    accessKey: string;
    secretKey: string;
    sessionToken?: string;
}

const truthy = (v: string | null) => v !== null && /^(1|true)$/i.test(v);

/** The bucket, prefix, region, endpoint and addressing of a Pulumi `s3://` backend URL. */
export function parseS3Url(url: string, env: NodeJS.ProcessEnv = {}): S3Target {
    const u = new URL(url);
    if (u.protocol !== "s3:") throw new Error(`${url} is not an s3:// URL`);
    const q = u.searchParams;
    const region = q.get("region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
    let endpoint = q.get("endpoint") ?? "";
    const insecure = truthy(q.get("disableSSL")) || truthy(q.get("disable_https"));
    if (endpoint && !endpoint.includes("://")) endpoint = `${insecure ? "http" : "https"}://${endpoint}`;
    const pathStyle = truthy(q.get("s3ForcePathStyle")) || truthy(q.get("use_path_style"));
    const prefix = u.pathname.replace(/^\/+/, "");
    return { bucket: u.hostname, prefix: prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix, region, endpoint: endpoint || `https://s3.${region}.amazonaws.com`, pathStyle };
}

/** The credentials from the environment (as the CLI's AWS SDK reads them first), or why there are none. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined {
    const accessKey = env.AWS_ACCESS_KEY_ID;
    const secretKey = env.AWS_SECRET_ACCESS_KEY;
    return accessKey && secretKey ? { accessKey, secretKey, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined;
}

/** RFC 3986 encoding as SigV4 wants it (`/` kept in paths). */
export function uriEncode(s: string, keepSlash: boolean): string {
    return [...Buffer.from(s, "utf8")]
        .map((b) => {
            const c = String.fromCharCode(b);
            return /[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/") ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
        })
        .join("");
}

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => crypto.createHmac("sha256", key).update(data).digest();

export interface SignInput {
    method: string;
    host: string;
    /** The path as sent (already encoded). */
    path: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    payloadHash: string;
    region: string;
    credentials: S3Credentials;
    now: Date;
}

/** The request's headers with `authorization`, `x-amz-date` and `x-amz-content-sha256` (AWS SigV4, service s3). */
export function signV4(i: SignInput): Record<string, string> {
    const amzDate = i.now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...Object.fromEntries(Object.entries(i.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])), host: i.host, "x-amz-date": amzDate, "x-amz-content-sha256": i.payloadHash };
    if (i.credentials.sessionToken) headers["x-amz-security-token"] = i.credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const query = Object.entries(i.query ?? {})
        .map(([k, v]) => `${uriEncode(k, false)}=${uriEncode(v, false)}`)
        .sort()
        .join("&");
    const canonical = [i.method, i.path, query, names.map((n) => `${n}:${headers[n]}\n`).join(""), names.join(";"), i.payloadHash].join("\n");
    const scope = `${day}/${i.region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${i.credentials.secretKey}`, day), i.region), "s3"), "aws4_request");
    const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${i.credentials.accessKey}/${scope},SignedHeaders=${names.join(";")},Signature=${signature}`;
    delete headers.host;
    return headers;
}

/** The URL and signing host of an object key in the target. */
function address(t: S3Target, key: string): { url: string; host: string; path: string } {
    const e = new URL(t.endpoint);
    const k = uriEncode(`${t.prefix}${key}`, true);
    const host = t.pathStyle ? e.host : `${t.bucket}.${e.host}`;
    const path = t.pathStyle ? `/${uriEncode(t.bucket, false)}/${k}` : `/${k}`;
    return { url: `${e.protocol}//${host}${path}`, host, path };
}

async function request(t: S3Target, creds: S3Credentials, method: "GET" | "PUT" | "HEAD", key: string, body?: Buffer): Promise<{ status: number; text: string }> {
    const a = address(t, key);
    const payload = body ?? Buffer.alloc(0);
    const headers = signV4({ method, host: a.host, path: a.path, payloadHash: sha256(payload), region: t.region, credentials: creds, now: new Date() });
    const r = await fetch(a.url, { method, headers, body: method === "PUT" ? payload : undefined });
    return { status: r.status, text: method === "HEAD" ? "" : await r.text() };
}

/** Whether an object exists (HEAD 200; 404 false; anything else an error naming the status). */
export async function s3Exists(t: S3Target, creds: S3Credentials, key: string): Promise<boolean> {
    const r = await request(t, creds, "HEAD", key);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw new Error(`HEAD s3://${t.bucket}/${t.prefix}${key} answered ${r.status}`);
}

/** Writes one object; throws naming the key and the server's answer. */
export async function s3Put(t: S3Target, creds: S3Credentials, key: string, body: Buffer): Promise<void> {
    const r = await request(t, creds, "PUT", key, body);
    if (r.status !== 200) throw new Error(`PUT s3://${t.bucket}/${t.prefix}${key} answered ${r.status}: ${r.text.slice(0, 300)}`);
}

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { kept } from "../../components/cluster/drift/nodeObservation";
import { ConfigSource, NAMESPACE, objectSource } from "../../config/load";

/*
 * Building the program without the Pulumi CLI or a cluster: stack files read
 * as the program would see them, the engine replaced by mocks, and every
 * resource the program registers written out as reviewable files
 * (`npm run render -- <stack>`). Tests share the secret-envelope helpers and
 * the stack-file reader.
 */

/** What every secret value becomes in rendered output. */
export const REDACTED = "<redacted>";

/** The marker the SDK wraps secret values in when it serialises them to the engine (its own constants). */
const { specialSigKey: SIG_KEY, specialSecretSig: SECRET_SIG } = pulumi.runtime;

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret envelopes, for assertions on the plain shape of inputs. */
export function unwrapSecrets(v: unknown): unknown {
    if (isSecretEnvelope(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Replaces every secret envelope by `<redacted>`. */
export function redactSecrets(v: unknown): unknown {
    if (isSecretEnvelope(v)) return REDACTED;
    if (Array.isArray(v)) return v.map(redactSecrets);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactSecrets(x)]));
    }
    return v;
}

/** A secret stand-in for `secure:` config values in offline builds; it must never appear in output. */
export const offlineSecret = (where: string): string => `offline-secret:${where}`;

/** The SSH private key offline builds use; it must never appear in output. */
export const OFFLINE_SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\noffline-placeholder-ssh-key\n-----END OPENSSH PRIVATE KEY-----\n";

/** Substrings whose presence in rendered output means a secret leaked into plain state. */
export const SECRET_SENTINELS = ["offline-secret:", "offline-placeholder-ssh-key"];

/**
 * The `picluster:` values of a parsed stack file as the program would see
 * them: short keys, `secure:` values replaced by `placeholder(where)` and the
 * whole key marked secret, as `pulumi config` does for `--secret` values.
 */
export function stackConfigValues(raw: unknown, placeholder: (where: string) => string = offlineSecret): { values: Record<string, unknown>; secretKeys: string[] } {
    const config = (raw as { config?: Record<string, unknown> } | null)?.config ?? {};
    const values: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [fullKey, value] of Object.entries(config)) {
        const [ns, key] = fullKey.split(":");
        if (ns !== NAMESPACE || key === undefined) continue;
        const { plain, secret } = replaceSecure(value, key, placeholder);
        values[key] = plain;
        if (secret) secretKeys.push(key);
    }
    return { values, secretKeys };
}

function replaceSecure(v: unknown, where: string, placeholder: (where: string) => string): { plain: unknown; secret: boolean } {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
        return { plain: placeholder(where), secret: true };
    }
    if (Array.isArray(v)) {
        const parts = v.map((x, i) => replaceSecure(x, `${where}[${i}]`, placeholder));
        return { plain: parts.map((p) => p.plain), secret: parts.some((p) => p.secret) };
    }
    if (v && typeof v === "object") {
        const parts = Object.entries(v).map(([k, x]) => [k, replaceSecure(x, `${where}.${k}`, placeholder)] as const);
        return { plain: Object.fromEntries(parts.map(([k, p]) => [k, p.plain])), secret: parts.some(([, p]) => p.secret) };
    }
    return { plain: v, secret: false };
}

/** Reads `<root>/Pulumi.<stack>.yaml` and returns its `picluster:` values (see stackConfigValues). */
export function readStackFile(root: string, stack: string, placeholder?: (where: string) => string): { values: Record<string, unknown>; secretKeys: string[] } {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist; stacks are named after their Pulumi.<stack>.yaml file`);
    return stackConfigValues(YAML.parse(fs.readFileSync(file, "utf8")), placeholder);
}

/**
 * A stack's values for offline use: its file's values with secrets replaced
 * by stand-ins, and SSH keys that are not committed (the default key and every
 * node's `sshKey`) filled with OFFLINE_SSH_KEY.
 */
export function offlineValues(root: string, stack: string): { values: Record<string, unknown>; secretKeys: string[] } {
    const { values, secretKeys } = readStackFile(root, stack);
    fillSshKeys(values, secretKeys, () => OFFLINE_SSH_KEY, true);
    return { values, secretKeys };
}

/**
 * Sets the SSH keys a bootstrap stack needs (the default key and every node's
 * `sshKey`) to a secret stand-in: those that are missing (often set per
 * machine, never committed) and, with `replaceSecure`, those already held as
 * `secure:` stand-ins.
 */
export function fillSshKeys(values: Record<string, unknown>, secretKeys: string[], standIn: (key: string) => string, replaceSecure = false): void {
    const cluster = values.cluster as { nodes?: { sshKey?: unknown }[]; kubeconfig?: unknown } | undefined;
    if (cluster?.kubeconfig !== undefined) return;
    const nodes = Array.isArray(cluster?.nodes) ? cluster.nodes : [];
    const keyNames = ["sshPrivateKey", ...nodes.map((n) => n?.sshKey).filter((k): k is string => typeof k === "string")];
    for (const key of keyNames) {
        if (values[key] === undefined || (replaceSecure && secretKeys.includes(key))) {
            values[key] = standIn(key);
            if (!secretKeys.includes(key)) secretKeys.push(key);
        }
    }
}

/** The offline values as a config source for `loadConfig`. */
export function offlineSource(root: string, stack: string): ConfigSource {
    const { values, secretKeys } = offlineValues(root, stack);
    return objectSource(stack, values, secretKeys);
}

/** The offline values as `pulumi.runtime.setAllConfig` takes them: full keys, string values. */
export function offlineConfig(root: string, stack: string): { config: Record<string, string>; secretKeys: string[] } {
    const { values, secretKeys } = offlineValues(root, stack);
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) config[`${NAMESPACE}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    return { config, secretKeys: secretKeys.map((k) => `${NAMESPACE}:${k}`) };
}

/** One resource as the mock engine saw it: plain inputs, secrets still wrapped. */
export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** Provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
    custom?: boolean;
}

/** A kubeconfig shaped like the one k3s writes, so the program can rewrite it offline. */
export const OFFLINE_KUBECONFIG = YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "b2ZmbGluZQ==" } }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    users: [{ name: "default", user: { token: offlineSecret("kubeconfig-token") } }],
    "current-context": "default",
});

/** How a mock engine makes up the values only a real deployment would have. */
export interface MockAnswers {
    /** A stand-in secret: `random` results and service-account tokens, by resource name. */
    secret(kind: "random" | "token", name: string): string;
    /** The stdout of a command resource, by resource name. */
    stdout(name: string): string;
}

export const offlineAnswers: MockAnswers = {
    secret: (kind, name) => offlineSecret(`${kind}:${name}`),
    // The CA hash joins pin: a placeholder offline (64 hex digits, like sha256sum's).
    stdout: (name) =>
        name.endsWith("-kubeconfig")
            ? OFFLINE_KUBECONFIG
            : name.endsWith("-ca-hash")
              ? `${"0".repeat(64)}  server-ca.crt\n`
              : name.endsWith("-admin-credential")
                ? Buffer.from(offlineSecret("admin-credential")).toString("base64")
                : "",
};

/**
 * State a mock engine returns: the inputs, plus the outputs the program
 * reads (generated secrets, command output, service-account tokens). Shared
 * by the offline render and the unit-test mocks.
 */
export function mockState(args: pulumi.runtime.MockResourceArgs, answers: MockAnswers = offlineAnswers): Record<string, unknown> {
    const state: Record<string, unknown> = { ...args.inputs };
    if (args.type.startsWith("random:")) state.result = pulumi.secret(answers.secret("random", args.name));
    if (args.type === "command:remote:Command" || args.type === "command:local:Command") {
        state.stdout = args.type === "command:remote:Command" ? answers.stdout(args.name) : "";
        state.stderr = "";
    }
    if (args.type === "pulumi-nodejs:dynamic/picluster:NodeObservation") {
        // What the observation's create records on a healthy node.
        return { ...kept(args.inputs), generation: 0, reimageGeneration: 0, lastRepairs: [] };
    }
    if (args.type === "kubernetes:core/v1:Secret" && args.inputs.type === "kubernetes.io/service-account-token") {
        // The token controller fills these; the provider waits for it.
        state.data = { token: Buffer.from(answers.secret("token", args.name)).toString("base64") };
    }
    return state;
}

/** Installs mocks that record every registration into `into`. */
export function installOfflineMocks(stack: string, into: RegisteredResource[], answers: MockAnswers = offlineAnswers): void {
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                into.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom });
                return { id: `${args.name}-id`, state: mockState(args, answers) };
            },
            call(args) {
                return args.inputs;
            },
        },
        "picluster",
        stack,
        false,
    );
}

/** Waits until registrations stop arriving (outputs resolve and RPCs drain asynchronously). */
export async function settle(registered: RegisteredResource[], quietRounds = 25): Promise<void> {
    let quiet = 0;
    let seen = -1;
    for (let round = 0; round < 10_000 && quiet < quietRounds; round++) {
        await new Promise((r) => setImmediate(r));
        if (registered.length === seen) quiet++;
        else {
            quiet = 0;
            seen = registered.length;
        }
    }
}

/** The node a command belongs to: the longest node name its resource name starts with, else the node it connects to. */
export function nodeOfCommand(resource: RegisteredResource, nodes: { name: string; host: string }[]): string {
    const byName = [...nodes].sort((a, b) => b.name.length - a.name.length).find((n) => resource.name.startsWith(`${n.name}-`));
    if (byName) return byName.name;
    const connection = unwrapSecrets(resource.inputs.connection) as { host?: unknown } | undefined;
    const byHost = nodes.find((n) => n.host === connection?.host);
    return byHost ? byHost.name : "_local";
}

/** Splits a command line built by shellQuote into words (plain words and '…' quoted words). */
export function shellWords(line: string): string[] | undefined {
    const words: string[] = [];
    let i = 0;
    while (i < line.length) {
        if (line[i] === " ") {
            i++;
            continue;
        }
        let word = "";
        while (i < line.length && line[i] !== " ") {
            if (line[i] === "'") {
                const end = line.indexOf("'", i + 1);
                if (end < 0) return undefined;
                word += line.slice(i + 1, end);
                i = end + 1;
            } else if (line[i] === "\\" && i + 1 < line.length) {
                word += line[i + 1];
                i += 2;
            } else if (/["$`]/.test(line[i])) {
                return undefined;
            } else word += line[i++];
        }
        words.push(word);
    }
    return words;
}

/**
 * A command for review: a node-script invocation (`[sudo -n] env K=V… bash -c SCRIPT NAME`)
 * becomes its parameters followed by the script text; anything else is shown as is.
 */
export function describeCommand(command: string): string {
    const words = shellWords(command);
    const bash = words?.indexOf("bash") ?? -1;
    if (!words || bash < 0 || words[bash + 1] !== "-c" || words.length !== bash + 4) return `${command}\n`;
    const prefix = words.slice(0, bash);
    const sudo = prefix[0] === "sudo";
    const envAt = prefix.indexOf("env");
    const params = envAt >= 0 ? prefix.slice(envAt + 1) : [];
    const script = words[bash + 2];
    const name = words[bash + 3];
    const lines = [`# runs ${name}${sudo ? " as root (sudo -n)" : ""}`];
    if (params.length > 0) lines.push("# parameters:", ...params.map((p) => `#   ${p}`));
    lines.push(`# script ${name}:`, script.endsWith("\n") ? script.slice(0, -1) : script);
    return `${lines.join("\n")}\n`;
}

/** `kubernetes:apps/v1:Deployment` → apiVersion `apps/v1`, kind `Deployment`. */
export function kubernetesKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^/:]+)\/([^:]+):(.+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

const FIRST_KEYS = ["apiVersion", "kind", "metadata", "name", "namespace", "chart", "version", "repositoryOpts", "spec"];

/** Key order for rendered YAML: the usual Kubernetes and Helm heads first, the rest alphabetically. */
function keyOrder(a: YAML.Pair, b: YAML.Pair): number {
    const ka = String((a.key as YAML.Scalar | undefined)?.value ?? a.key);
    const kb = String((b.key as YAML.Scalar | undefined)?.value ?? b.key);
    const ia = FIRST_KEYS.indexOf(ka);
    const ib = FIRST_KEYS.indexOf(kb);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? FIRST_KEYS.length : ia) - (ib < 0 ? FIRST_KEYS.length : ib);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Deterministic YAML of plain data. */
export function toYaml(value: unknown): string {
    return YAML.stringify(value, { sortMapEntries: keyOrder, lineWidth: 0, aliasDuplicateObjects: false });
}

/** A safe file name part. */
function fileSafe(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]+/g, "_").toLowerCase();
}

/** Files of a rendered stack: relative path → content. */
export type RenderedFiles = Map<string, string>;

/** The k3s config keys that hold secrets; the rendered k3s-config.yaml shows them redacted. */
export const K3S_CONFIG_SECRETS = ["token", "agent-token", "etcd-s3-access-key", "etcd-s3-secret-key"];

/**
 * Turns what the program registered into reviewable files:
 * `k8s/<namespace>/<kind>-<name>.yaml` for each Kubernetes object,
 * `helm/<release>.yaml` for each Helm release, `nodes/<node>/<resource>.sh`
 * for each command (create/update/delete, scripts decoded) plus
 * `nodes/<node>/k3s-config.yaml` with the token redacted, and `resources.yaml`
 * listing everything registered. Secrets become `<redacted>`.
 */
export function renderFiles(registered: RegisteredResource[], nodes: { name: string; host: string }[], outputs?: Record<string, unknown>): RenderedFiles {
    const files: RenderedFiles = new Map();
    const put = (file: string, content: string) => {
        let name = file;
        for (let n = 2; files.has(name); n++) name = file.replace(/(\.[a-z]+)$/, `-${n}$1`);
        files.set(name, content);
    };
    const sorted = [...registered].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));

    for (const r of sorted) {
        if (r.type.startsWith("pulumi:providers:")) continue;
        if (r.type === "command:remote:Command" || r.type === "command:local:Command") {
            const node = nodeOfCommand(r, nodes);
            const parts = [`# ${r.name} (${r.type})`];
            // The SDK wraps the whole connection as secret (it holds the private key); show only where it goes.
            const connection = unwrapSecrets(r.inputs.connection) as Record<string, unknown> | undefined;
            if (connection) parts.push(`# connection: ${String(connection.user)}@${String(connection.host)}:${String(connection.port ?? 22)}${connection.hostKey ? " (host key pinned)" : ""}`);
            if (r.inputs.stdin !== undefined) parts.push(`# stdin: ${isSecretEnvelope(r.inputs.stdin) ? `${REDACTED} (secret)` : "plain"}`);
            for (const op of ["create", "update", "delete"] as const) {
                const cmd = r.inputs[op];
                if (cmd === undefined) continue;
                parts.push("", `### ${op}`, isSecretEnvelope(cmd) ? `${REDACTED}\n` : describeCommand(String(cmd)));
            }
            put(`nodes/${fileSafe(node)}/${fileSafe(r.name)}.sh`, parts.join("\n").replace(/\n{3,}/g, "\n\n"));
            if (r.type === "command:remote:Command" && r.name.endsWith("-install") && r.inputs.stdin !== undefined) {
                const k3sConfig = YAML.parse(String(unwrapSecrets(r.inputs.stdin))) as Record<string, unknown> | null;
                if (k3sConfig && typeof k3sConfig === "object") {
                    // The join tokens, and a backup target's credentials (backups.s3 → etcd-s3-*).
                    for (const key of K3S_CONFIG_SECRETS) if (key in k3sConfig) k3sConfig[key] = REDACTED;
                    put(`nodes/${fileSafe(node)}/k3s-config.yaml`, toYaml(k3sConfig));
                }
            }
            continue;
        }
        if (r.type === "kubernetes:helm.sh/v3:Release") {
            const inputs = redactSecrets(r.inputs) as Record<string, unknown>;
            put(`helm/${fileSafe(String(inputs.name ?? r.name))}.yaml`, toYaml(inputs));
            continue;
        }
        const k = kubernetesKind(r.type);
        if (k) {
            const inputs = redactSecrets(r.inputs) as Record<string, unknown>;
            const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
            const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "_cluster";
            const objectName = typeof metadata.name === "string" ? metadata.name : r.name;
            const kind = k.kind.endsWith("Patch") ? k.kind.slice(0, -"Patch".length) : k.kind;
            const object = { ...inputs, apiVersion: inputs.apiVersion ?? k.apiVersion, kind: inputs.kind ?? kind };
            put(`k8s/${fileSafe(namespace)}/${fileSafe(k.kind)}-${fileSafe(objectName)}.yaml`, toYaml(object));
        }
    }
    put("resources.yaml", toYaml(sorted.map((r) => `${r.type} ${r.name}`)));
    if (outputs) put("outputs.yaml", toYaml(redactSecrets(outputs)));
    return files;
}

/** Files that contain a secret stand-in: proof that a secret reached plain inputs. */
export function leakedSecrets(files: RenderedFiles): string[] {
    return [...files].filter(([, content]) => SECRET_SENTINELS.some((s) => content.includes(s))).map(([file]) => file);
}

/** Resolves every Output inside `value` (stack exports) to plain data, keeping secrets wrapped. */
export async function resolveOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as pulumi.Output<unknown>;
        const [plain, secret] = await Promise.all([
            new Promise<unknown>((resolve) => o.apply((v) => resolve(v))),
            (o as unknown as { isSecret: Promise<boolean> }).isSecret,
        ]);
        const inner = await resolveOutputs(plain);
        return secret ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner;
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
    if (value && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveOutputs(v)] as const));
        return Object.fromEntries(entries);
    }
    return value instanceof pulumi.Resource ? "(resource)" : value;
}

export interface RenderOptions {
    /** Directory with Pulumi.<stack>.yaml and the program. */
    root: string;
    stack: string;
    /**
     * Builds the program and returns its stack exports, e.g.
     * `() => require(path.join(root, "index"))`. Called after the mocks and
     * config are installed, once per process.
     */
    program: () => unknown;
    /** Receives every registered resource as well (e.g. to template Helm releases with stand-in secrets). */
    registered?: RegisteredResource[];
}

/** Builds the stack's program offline and returns its rendered files. Throws when a secret leaks. */
export async function renderStack(opts: RenderOptions): Promise<RenderedFiles> {
    const registered: RegisteredResource[] = opts.registered ?? [];
    installOfflineMocks(opts.stack, registered);
    const { config, secretKeys } = offlineConfig(opts.root, opts.stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const exports = await Promise.resolve(opts.program());
    const outputs = (await resolveOutputs(exports ?? {})) as Record<string, unknown>;
    await settle(registered);
    const cluster = JSON.parse(config[`${NAMESPACE}:cluster`] ?? "{}") as { nodes?: { name: string; host: string }[] };
    const files = renderFiles(registered, cluster.nodes ?? [], outputs);
    const leaks = leakedSecrets(files);
    if (leaks.length > 0) {
        throw new Error(`a secret reached plain (unredacted) values in: ${leaks.join(", ")}; wrap it in pulumi.secret where it is built`);
    }
    return files;
}

/** Replaces `dir` with the rendered files. */
export function writeRendered(dir: string, files: RenderedFiles): void {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [file, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
}

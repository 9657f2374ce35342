import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { RegisteredResource } from "./offlineEngine";
import { isSecretEnvelope, REDACTED, redactSecrets, unwrapSecrets } from "./secrets";

/*
 * What the program registered, as reviewable files: Kubernetes objects, Helm
 * releases, node scripts decoded with their parameters and each node's k3s
 * config, secrets redacted (`npm run render -- <stack>`).
 */

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
            } else if (r.inputs.stdin !== undefined && !isSecretEnvelope(r.inputs.stdin)) {
                // Plain stdin (kube-vip's manifest) is what the node gets: reviewable beside its script.
                put(`nodes/${fileSafe(node)}/${fileSafe(r.name)}.stdin`, String(r.inputs.stdin));
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

/** Replaces `dir` with the rendered files. */
export function writeRendered(dir: string, files: RenderedFiles): void {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [file, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
}

import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { agentHostSchema, workerAgentsSchema } from "./schema/agents";
import { appsSchema } from "./schema/apps";
import { backupsSchema } from "./schema/backups";
import { clusterSchema } from "./schema/cluster";
import { networkSchema } from "./schema/network";
import { registrySecretProblems, registrySecretRefs } from "./schema/registries";
import { servicesSchema } from "./schema/services";
import { closest, didYouMean, shownSecretName, shownValue } from "./messages";
import { referencedSecretKeys, shapeKeysAt } from "./references";

import { NAMESPACE, runtimeSource, type ConfigSource } from "./source";

export { NAMESPACE };

/** The plain-data keys of the contract and the schema that validates each. */
export const keySchemas = {
    cluster: clusterSchema,
    services: servicesSchema,
    agentHost: agentHostSchema,
    workerAgents: workerAgentsSchema,
    apps: appsSchema,
    backups: backupsSchema,
    network: networkSchema,
} as const;

type Plain = { [K in keyof typeof keySchemas]: z.output<(typeof keySchemas)[K]> };

/** The validated configuration of one stack. Secrets are only ever held as secret Outputs. */
export interface PiclusterConfig extends Plain {
    /** The stack name (`dev`, `pi`, …). */
    stack: string;
    /** True when an existing cluster is targeted through a kubeconfig instead of bootstrapping nodes. */
    existingCluster: boolean;
    /** The default SSH private key, secret. Undefined only when no node needs it. */
    sshPrivateKey?: pulumi.Output<string>;
    /** Private key per node name, resolved from the node's `sshKey` or the default key. */
    nodeKeys: Record<string, pulumi.Output<string>>;
    /** The existing cluster's kubeconfig (existing-cluster mode only), secret. */
    kubeconfig?: pulumi.Output<string>;
}

/** Reads a secret key under `picluster:` by name: the secret, or why it cannot be used. */
export type SecretReader = (key: string) => { value: pulumi.Output<string> } | { problem: string };

/**
 * Thrown when configuration is invalid; carries one line per problem. A
 * RunError: the CLI prints its message once, without the program's stack.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(
            `picluster configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Formats a zod issue path as the key a user types: `cluster.nodes[1].arch`. */
export function formatPath(key: string, path: PropertyKey[]): string {
    return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${String(p)}`), `${NAMESPACE}:${key}`);
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const p of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[p];
    }
    return cur;
}

const SECRET_HINT = (key: string) => `set it with \`pulumi config set --secret ${key} < FILE\``;

/**
 * Keys under `picluster:` that nothing reads: not a key of the contract, not
 * the SSH key, and not a secret some node, app or catalog entry names. A
 * typo (`agenthost`) would otherwise be ignored silently.
 */
function unknownKeys(source: ConfigSource, parsed: Partial<Plain>): string[] {
    const known = new Set<string>([...Object.keys(keySchemas), "sshPrivateKey", "sshPrivateKeyFile"]);
    if (parsed.cluster?.registries) for (const r of registrySecretRefs(parsed.cluster.registries)) known.add(r.key);
    // References are read from the raw values too: an entry that fails its
    // schema still names its secrets, and they are not unused.
    for (const key of Object.keys(keySchemas)) for (const ref of referencedSecretKeys(key, source.get(key))) known.add(ref);
    // Names referenced but not set: an unused key near one of them is that reference's typo, not a key to remove.
    const missingRefs = [...known].filter((k) => !Object.keys(keySchemas).includes(k) && source.get(k) === undefined);
    return source
        .keys()
        .filter((k) => !known.has(k))
        .map((k) => {
            const meant = closest(k, missingRefs, 1);
            if (meant.length > 0) {
                return `${NAMESPACE}:${k} is set but nothing references it, while a reference names ${shownSecretName(meant[0])}, which is not set; change that reference to "${k}"`;
            }
            const hint = didYouMean(k, known).replace(/ did you mean (\S+)\?/, " did you mean " + NAMESPACE + ":$1?");
            return `${NAMESPACE}:${k} is not a picluster setting and no node, app, catalog entry, registry or backup references it;${hint} remove it with \`pulumi config rm ${NAMESPACE}:${k}\` (settings: ${Object.keys(keySchemas).join(", ")}, sshPrivateKey, sshPrivateKeyFile)`;
        });
}

/** One schema issue as the user reads it: the key, the value (never a credential), the fix. */
function issueLine(key: keyof typeof keySchemas, raw: unknown, issue: z.core.$ZodIssue): string {
    const value = valueAt(raw, issue.path);
    const shown = key === "cluster" && issue.path[0] === "kubeconfig" ? "(secret)" : isSecretNamePath(key, issue.path) ? shownSecretName(value) : shownValue(value);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
        const options = shapeKeysAt(keySchemas[key], issue.path);
        message = issue.keys
            .map((k) => {
                const near = closest(k, options, 1);
                return `unknown key "${k}"${near.length > 0 ? `; did you mean "${near[0]}"?` : options.length > 0 ? ` (keys here: ${options.join(", ")})` : ""}`;
            })
            .join("; ");
    } else if (issue.code === "invalid_type" && issue.expected === "string" && typeof value === "number") {
        message += `; YAML read ${value} as a number: quote it ("${value}")`;
    }
    return `${formatPath(key, issue.path)} = ${shown}: ${message}`;
}

/** Fields that hold the NAME of a secret config key: their value is never echoed unless it is a key name. */
function isSecretNamePath(key: string, path: PropertyKey[]): boolean {
    const p = path.map(String);
    const last = p[p.length - 1];
    return (
        (key === "cluster" && (last === "sshKey" || last === "passwordKey" || last === "tokenKey")) ||
        (key === "apps" && p[1] === "secrets" && p.length === 3) ||
        (key === "services" && p[0] === "catalog" && p[2] === "secretValues" && p.length === 4) ||
        (key === "backups" && p[1] === "credentials") ||
        (key === "network" && last === "apiTokenKey")
    );
}

/**
 * Loads and validates every key of the contract. All problems are collected
 * and reported together in one ConfigError; nothing is registered before
 * this returns, so a bad value can never half-apply.
 */
export function loadConfig(source: ConfigSource = runtimeSource()): PiclusterConfig {
    const problems: string[] = [];
    const parsed: Partial<Plain> = {};

    for (const [key, schema] of Object.entries(keySchemas) as [keyof typeof keySchemas, z.ZodType][]) {
        const raw = source.get(key);
        const result = schema.safeParse(raw);
        if (result.success) {
            (parsed as Record<string, unknown>)[key] = result.data;
            continue;
        }
        for (const issue of result.error.issues) problems.push(issueLine(key, raw, issue));
    }

    const cluster = parsed.cluster;
    const existingCluster = cluster?.kubeconfig !== undefined;
    const nodeKeys: Record<string, pulumi.Output<string>> = {};
    let sshPrivateKey: pulumi.Output<string> | undefined;

    const readSecret = (key: string, what: string): pulumi.Output<string> | undefined => {
        const value = source.get(key);
        if (value === undefined) return undefined;
        if (typeof value !== "string") {
            problems.push(`${NAMESPACE}:${key}: ${what} must be a string; ${SECRET_HINT(key)}`);
            return undefined;
        }
        if (!source.isSecret(key)) {
            problems.push(`${NAMESPACE}:${key} is stored in plain text; ${what} must be a secret: ${SECRET_HINT(key)}`);
            return undefined;
        }
        return pulumi.secret(value);
    };

    if (cluster && existingCluster && !source.isSecret("cluster")) {
        problems.push(`${NAMESPACE}:cluster.kubeconfig is stored in plain text; set it with \`pulumi config set --path --secret cluster.kubeconfig < kubeconfig.yaml\``);
    }
    if (cluster && !existingCluster && cluster.nodes.length > 0) {
        const needsDefault = cluster.nodes.some((n) => n.sshKey === undefined);
        const fromFile = source.get("sshPrivateKeyFile") !== undefined;
        sshPrivateKey = fromFile ? keyFromFile(source, problems) : readSecret("sshPrivateKey", "the SSH private key");
        if (needsDefault && sshPrivateKey === undefined && source.get("sshPrivateKey") === undefined && !fromFile) {
            problems.push(`${NAMESPACE}:sshPrivateKey is missing; nodes without their own sshKey need it: ${SECRET_HINT("sshPrivateKey")}`);
        }
        const perKey = new Map<string, pulumi.Output<string> | undefined>();
        cluster.nodes.forEach((n, i) => {
            if (n.sshKey === undefined) {
                if (sshPrivateKey) nodeKeys[n.name] = sshPrivateKey;
                return;
            }
            if (!perKey.has(n.sshKey)) {
                if (source.get(n.sshKey) === undefined) {
                    problems.push(`${NAMESPACE}:cluster.nodes[${i}].sshKey = ${shownSecretName(n.sshKey)}: ${missingSecret(source, n.sshKey)}`);
                    perKey.set(n.sshKey, undefined);
                } else perKey.set(n.sshKey, readSecret(n.sshKey, `the SSH private key of node ${n.name}`));
            }
            const key = perKey.get(n.sshKey);
            if (key) nodeKeys[n.name] = key;
        });
    }

    if (cluster?.registries) {
        problems.push(...registrySecretProblems(cluster.registries, (k) => (source.get(k) === undefined ? "missing" : source.isSecret(k) ? "secret" : "plain")));
    }

    problems.push(...unknownKeys(source, parsed));
    if (problems.length > 0) throw new ConfigError(problems);
    const plain = parsed as Plain;
    return {
        ...plain,
        stack: source.stack,
        existingCluster,
        sshPrivateKey,
        nodeKeys,
        kubeconfig: existingCluster ? pulumi.secret(plain.cluster.kubeconfig as string) : undefined,
    };
}

/**
 * The default SSH key from the file `sshPrivateKeyFile` names (a key kept
 * outside the repository, as the dev key `npm run dev` makes), as a secret.
 */
function keyFromFile(source: ConfigSource, problems: string[]): pulumi.Output<string> | undefined {
    const file = source.get("sshPrivateKeyFile");
    // A path is shown as it is; anything else (a key pasted here by mistake) only as shownValue describes it.
    const isPath = typeof file === "string" && /^(\/|~\/)[^\n]{0,1000}$/.test(file);
    const at = `${NAMESPACE}:sshPrivateKeyFile = ${isPath ? JSON.stringify(file) : shownValue(file)}`;
    if (source.get("sshPrivateKey") !== undefined) {
        problems.push(`${at}: ${NAMESPACE}:sshPrivateKey is set too; keep one (\`pulumi config rm sshPrivateKey\` or \`pulumi config rm sshPrivateKeyFile\`)`);
        return undefined;
    }
    if (!isPath) {
        problems.push(`${at}: must be an absolute path, or one under ~/, to a key outside the repository`);
        return undefined;
    }
    if (!source.readFile) {
        problems.push(`${at}: no file can be read here; set the key itself: ${SECRET_HINT("sshPrivateKey")}`);
        return undefined;
    }
    let text: string;
    try {
        text = source.readFile(file);
    } catch (e) {
        problems.push(`${at}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); create it (\`ssh-keygen -t ed25519 -N "" -f ${file}\`; npm run dev makes the dev key) or point it at your key`);
        return undefined;
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
        problems.push(`${at}: holds no private key (no "-----BEGIN … PRIVATE KEY-----" line); point it at the private key, not the .pub`);
        return undefined;
    }
    return pulumi.secret(text);
}

/** Why a referenced secret cannot be read because it is not set: the nearest secret keys that are, and how to set it. */
function missingSecret(source: ConfigSource, name: string): string {
    if (!isSecretKeyNameOrShown(name)) return `that is not the name of a config key; store the secret with \`pulumi config set --secret ${NAMESPACE}:<name>\` and put <name> here`;
    const secrets = source.keys().filter((k) => source.isSecret(k));
    const near = closest(name, secrets);
    return `no secret ${NAMESPACE}:${name} is set${near.length > 0 ? ` (closest set: ${near.map((k) => `${NAMESPACE}:${k}`).join(", ")})` : ""}; ${SECRET_HINT(name)}`;
}

const isSecretKeyNameOrShown = (name: string) => shownSecretName(name).startsWith('"');

/** The secrets of a config source, for the plan (apps' `secrets`, catalog `secretValues`). */
export function secretsOf(source: ConfigSource): SecretReader {
    return (key) => {
        const value = source.get(key);
        if (typeof value !== "string") return { problem: missingSecret(source, key) };
        if (!source.isSecret(key)) return { problem: `${NAMESPACE}:${key} is stored in plain text; ${SECRET_HINT(key)}` };
        return { value: pulumi.secret(value) };
    };
}

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { NAMESPACE } from "../../config/load";
import { ConfigSource, objectSource } from "../../config/source";

/*
 * A stack file (`Pulumi.<stack>.yaml`) read as the program would see it,
 * without the Pulumi CLI: `secure:` values and SSH keys that are never
 * committed become recognisable stand-ins, which must never reach output
 * (leaks.ts looks for them).
 */

/** A secret stand-in for `secure:` config values in offline builds; it must never appear in output. */
export const offlineSecret = (where: string): string => `offline-secret:${where}`;

/** The recognisable part of OFFLINE_SSH_KEY. */
export const OFFLINE_SSH_KEY_MARK = "offline-placeholder-ssh-key";

/** The SSH private key offline builds use; it must never appear in output. */
export const OFFLINE_SSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${OFFLINE_SSH_KEY_MARK}\n-----END OPENSSH PRIVATE KEY-----\n`;

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
    // A key file outside the repository (sshPrivateKeyFile) is never read offline: the default key's stand-in replaces it.
    if (values.sshPrivateKeyFile !== undefined && values.sshPrivateKey === undefined) delete values.sshPrivateKeyFile;
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

import * as yaml from "js-yaml";
import type { RegistriesSpec } from "../../../config/schema/registries";

/** Where k3s reads its registry settings; the drift observation hashes the same path. */
export const REGISTRIES_PATH = "/etc/rancher/k3s/registries.yaml";
/** Where the CA files named by registries.yaml live on each node. */
export const REGISTRY_CA_DIR = "/etc/rancher/k3s/registry-ca";

/** The CA file name for a registry host (`registry.lan:5000` → `registry.lan_5000.crt`). */
export function caFileName(host: string): string {
    return `${host.replace(/[^A-Za-z0-9.-]/g, "_")}.crt`;
}

/**
 * Renders k3s's registries.yaml from the validated block, with the secret
 * values it refers to (`secrets[key]`). Keys are sorted so the same settings
 * always give the same bytes, and so the same node step.
 */
export function renderRegistriesYaml(spec: RegistriesSpec, secrets: Record<string, string>): string {
    const secretOf = (key: string) => {
        const value = secrets[key];
        if (value === undefined) throw new Error(`registries: secret picluster:${key} was not resolved`);
        return value;
    };
    const mirrors: Record<string, unknown> = {};
    for (const host of Object.keys(spec.mirrors).sort()) {
        const m = spec.mirrors[host];
        mirrors[host] = { endpoint: m.endpoint, ...(m.rewrite ? { rewrite: m.rewrite } : {}) };
    }
    const configs: Record<string, unknown> = {};
    for (const host of Object.keys(spec.configs).sort()) {
        const c = spec.configs[host];
        const entry: Record<string, unknown> = {};
        if (c.auth && (c.auth.passwordKey || c.auth.tokenKey || c.auth.username)) {
            entry.auth = {
                ...(c.auth.username !== undefined ? { username: c.auth.username } : {}),
                ...(c.auth.passwordKey ? { password: secretOf(c.auth.passwordKey) } : {}),
                ...(c.auth.tokenKey ? { identity_token: secretOf(c.auth.tokenKey) } : {}),
            };
        }
        if (c.tls && (c.tls.ca !== undefined || c.tls.insecureSkipVerify)) {
            entry.tls = {
                ...(c.tls.ca !== undefined ? { ca_file: `${REGISTRY_CA_DIR}/${caFileName(host)}` } : {}),
                ...(c.tls.insecureSkipVerify ? { insecure_skip_verify: true } : {}),
            };
        }
        configs[host] = entry;
    }
    const doc = { ...(Object.keys(mirrors).length > 0 ? { mirrors } : {}), ...(Object.keys(configs).length > 0 ? { configs } : {}) };
    return `# Written by picluster (cluster.registries); changes here are overwritten.\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;
}

/**
 * The stdin bundle node-registries.sh reads: registries.yaml, then each CA
 * file, each after a `#picluster-file <name>` header line.
 */
export function registriesBundle(spec: RegistriesSpec, secrets: Record<string, string>): string {
    const parts = [`#picluster-file registries.yaml\n${renderRegistriesYaml(spec, secrets)}`];
    for (const host of Object.keys(spec.configs).sort()) {
        const ca = spec.configs[host].tls?.ca;
        if (ca !== undefined) parts.push(`#picluster-file registry-ca/${caFileName(host)}\n${ca.trimEnd()}\n`);
    }
    return parts.join("");
}

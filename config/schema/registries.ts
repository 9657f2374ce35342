import { z } from "zod";

/**
 * `cluster.registries`: k3s's registries.yaml (mirrors, auth, TLS) in
 * picluster's spelling. Passwords and tokens are never values here: they name
 * other secret keys under `picluster:`. A CA is given as its PEM content,
 * which picluster writes next to the file on each node.
 */

const secretKeyName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. registryPassword");

export const registryMirrorSchema = z.strictObject({
    /** Endpoints tried in order, e.g. `http://registry-cache.lan:5000`; the upstream is the fallback. */
    endpoint: z.array(z.string()).min(1, "needs at least one endpoint URL"),
    /** Repository rewrites (regex → replacement), as k3s accepts them. */
    rewrite: z.record(z.string(), z.string()).optional(),
});

export const registryConfigSchema = z.strictObject({
    auth: z
        .strictObject({
            username: z.string().optional(),
            /** Name of the secret config key holding the password. */
            passwordKey: secretKeyName.optional(),
            /** Name of the secret config key holding an identity token. */
            tokenKey: secretKeyName.optional(),
            /** Refused with a hint (see registryProblems): passwords are never plain config. */
            password: z.unknown().optional(),
        })
        .optional(),
    tls: z
        .strictObject({
            /** PEM content of the CA that signed the registry's certificate. */
            ca: z.string().optional(),
            /** Skip certificate verification (warned about on every run). */
            insecureSkipVerify: z.boolean().default(false),
        })
        .optional(),
});

export const registriesSchema = z
    .strictObject({
        /** Registry host (`docker.io`, `registry.lan`, `*`) → mirror endpoints. */
        mirrors: z.record(z.string(), registryMirrorSchema).default({}),
        /** Registry host (`registry.lan:5000`) → auth and TLS. */
        configs: z.record(z.string(), registryConfigSchema).default({}),
    })
    .superRefine((value, ctx) => {
        for (const p of registryProblems(value)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    });

export type RegistriesSpec = z.output<typeof registriesSchema>;

export interface RegistryProblem {
    /** Path below `cluster.registries`. */
    path: (string | number)[];
    message: string;
}

/** True when `text` is an http(s) URL with a host and nothing after the path. */
export function isEndpointUrl(text: string): boolean {
    try {
        const url = new URL(text);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && url.search === "" && url.hash === "" && !/\s/.test(text);
    } catch {
        return false;
    }
}

const registryHost = /^(\*|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:\d{1,5})?)$/;
const pem = /^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?\r?\n-----END CERTIFICATE-----\s*$/;

/**
 * The problems of a registries block that need nothing but the block
 * itself: registry names, endpoint URLs, plain-text passwords, CA shape.
 * Pure, so the plan can call it before anything is registered.
 */
export function registryProblems(spec: Pick<RegistriesSpec, "mirrors" | "configs">): RegistryProblem[] {
    const problems: RegistryProblem[] = [];
    for (const [host, mirror] of Object.entries(spec.mirrors ?? {})) {
        if (!registryHost.test(host)) problems.push({ path: ["mirrors", host], message: `'${host}' is not a registry host; use a name such as docker.io, registry.lan:5000 or *` });
        (mirror.endpoint ?? []).forEach((endpoint, i) => {
            if (!isEndpointUrl(endpoint)) {
                problems.push({ path: ["mirrors", host, "endpoint", i], message: `'${endpoint}' is not an endpoint URL; use http(s)://host[:port][/path], e.g. http://registry-cache.lan:5000` });
            }
        });
    }
    for (const [host, config] of Object.entries(spec.configs ?? {})) {
        if (!registryHost.test(host) || host === "*") problems.push({ path: ["configs", host], message: `'${host}' is not a registry host; use a name such as registry.lan or registry.lan:5000` });
        const auth = config.auth;
        if (auth?.password !== undefined) {
            problems.push({
                path: ["configs", host, "auth", "password"],
                message: "is a plain-text password, which would sit in the stack's config and state; store it with `pulumi config set --secret registryPassword` and set auth.passwordKey: registryPassword",
            });
        }
        if (auth && auth.passwordKey !== undefined && auth.username === undefined) {
            problems.push({ path: ["configs", host, "auth", "username"], message: "is missing; a passwordKey needs the username it belongs to" });
        }
        if (auth && auth.passwordKey !== undefined && auth.tokenKey !== undefined) {
            problems.push({ path: ["configs", host, "auth"], message: "sets both passwordKey and tokenKey; use one of them" });
        }
        const ca = config.tls?.ca;
        if (ca !== undefined && !pem.test(ca)) {
            problems.push({ path: ["configs", host, "tls", "ca"], message: "is not a PEM certificate; paste the CA file's content (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)" });
        }
        if (ca !== undefined && config.tls?.insecureSkipVerify) {
            problems.push({ path: ["configs", host, "tls"], message: "sets both ca and insecureSkipVerify; with a CA the certificate can be verified, so drop insecureSkipVerify" });
        }
    }
    return problems;
}

/** The secret config keys a registries block refers to, each with where it is referenced. */
export function registrySecretRefs(spec: RegistriesSpec): { key: string; path: string }[] {
    const refs: { key: string; path: string }[] = [];
    for (const [host, config] of Object.entries(spec.configs)) {
        if (config.auth?.passwordKey) refs.push({ key: config.auth.passwordKey, path: `cluster.registries.configs["${host}"].auth.passwordKey` });
        if (config.auth?.tokenKey) refs.push({ key: config.auth.tokenKey, path: `cluster.registries.configs["${host}"].auth.tokenKey` });
    }
    return refs;
}

/**
 * Problems with the secret keys a registries block refers to: each must be
 * set, and set with `--secret`. `lookup` says how the key is stored.
 */
export function registrySecretProblems(spec: RegistriesSpec, lookup: (key: string) => "secret" | "plain" | "missing"): string[] {
    return registrySecretRefs(spec).flatMap(({ key, path }) => {
        const state = lookup(key);
        if (state === "missing") return [`picluster:${path} = "${key}": no key picluster:${key} is set; set it with \`pulumi config set --secret ${key}\``];
        if (state === "plain") return [`picluster:${key} (referenced by ${path}) is stored in plain text; set it again with \`pulumi config set --secret ${key}\``];
        return [];
    });
}

/** One warning per registry whose certificate is not verified. */
export function registryWarnings(spec: RegistriesSpec): string[] {
    return Object.entries(spec.configs)
        .filter(([, c]) => c.tls?.insecureSkipVerify)
        .map(([host]) => `cluster.registries.configs["${host}"].tls.insecureSkipVerify is true: image pulls from ${host} are not verified and can be tampered with on the network; prefer tls.ca with the registry's CA`);
}

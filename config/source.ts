import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/*
 * Where a stack's configuration is read from: the Pulumi runtime inside the
 * program, a plain object (a parsed Pulumi.<stack>.yaml) in tests and tools.
 */

/** The `picluster:` namespace every key of the config contract lives in. */
export const NAMESPACE = "picluster";

/** Where configuration comes from: the Pulumi runtime in a program, a plain object in tests and tools. */
export interface ConfigSource {
    /** The raw value of `picluster:<key>`: a string, or the parsed JSON of an object value. */
    get(key: string): unknown;
    /** True when `picluster:<key>` was stored with `--secret`. */
    isSecret(key: string): boolean;
    /** Every key set under `picluster:`, without the prefix. */
    keys(): string[];
    stack: string;
    /** Reads a file the config names (`sshPrivateKeyFile`; `~/` is the home directory); absent where no file may be read. */
    readFile?(file: string): string;
}

// `isConfigSecret` is exported by the SDK at runtime but marked @internal in
// its typings; it is the only way to tell a `--secret` value from plain text.
const runtimeIsSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/** Reads the running program's stack configuration. */
export function runtimeSource(): ConfigSource {
    return {
        stack: pulumi.getStack(),
        get(key) {
            const raw = pulumi.runtime.getConfig(`${NAMESPACE}:${key}`);
            if (raw === undefined) return undefined;
            try {
                const parsed: unknown = JSON.parse(raw);
                return typeof parsed === "object" && parsed !== null ? parsed : raw;
            } catch {
                return raw;
            }
        },
        isSecret: (key) => runtimeIsSecret(`${NAMESPACE}:${key}`),
        readFile: (file) => fs.readFileSync(file.startsWith("~/") ? path.join(os.homedir(), file.slice(2)) : file, "utf8"),
        keys: () =>
            Object.keys(pulumi.runtime.allConfig())
                .filter((k) => k.startsWith(`${NAMESPACE}:`))
                .map((k) => k.slice(NAMESPACE.length + 1)),
    };
}

/** A source over a plain object, e.g. a parsed `Pulumi.<stack>.yaml` (tests, render, benchmarks). */
export function objectSource(stack: string, values: Record<string, unknown>, secretKeys: string[] = []): ConfigSource {
    return {
        stack,
        get: (key) => values[key],
        isSecret: (key) => secretKeys.includes(key),
        keys: () => Object.keys(values).filter((k) => values[k] !== undefined),
    };
}

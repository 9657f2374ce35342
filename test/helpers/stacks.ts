import * as path from "path";
import { ConfigSource, objectSource } from "../../config/source";
import { readStackFile } from "../../scripts/lib/stackFile";

const ROOT = path.join(__dirname, "..", "..");

/** A throwaway private key used wherever tests need one; never a real credential. */
export const TEST_SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ntest-key-material-0123456789\n-----END OPENSSH PRIVATE KEY-----\n";

/**
 * Reads `Pulumi.<stack>.yaml` as the program would see it: `picluster:` keys
 * by their short name, `secure:` values replaced by a recognisable stand-in
 * and marked secret. `overrides` replace whole keys (and are plain unless
 * listed in `secretKeys`).
 */
export function stackValues(stack: string): { values: Record<string, unknown>; secretKeys: string[] } {
    return readStackFile(ROOT, stack, (where) => `secure-value-of-${where}`);
}

/** A config source for a committed stack, with the test SSH key set as a secret. */
export function stackSource(
    stack: string,
    overrides: Record<string, unknown> = {},
    opts: { secretKeys?: string[]; withKey?: boolean } = {},
): ConfigSource {
    const { values, secretKeys } = stackValues(stack);
    const merged: Record<string, unknown> = { ...values, ...overrides };
    const secrets = [...secretKeys, ...(opts.secretKeys ?? [])];
    if (opts.withKey !== false && merged.sshPrivateKey === undefined) {
        // The test key stands in for a key file outside the repository too (Pulumi.dev.yaml's sshPrivateKeyFile).
        delete merged.sshPrivateKeyFile;
        merged.sshPrivateKey = TEST_SSH_KEY;
        secrets.push("sshPrivateKey");
    }
    return objectSource(stack, merged, secrets);
}

/** A minimal valid cluster block, for tests that vary one field. */
export function clusterWith(nodes: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { k3sVersion: "v1.33.5+k3s1", nodes, ...extra };
}

export const server = (name = "cp-1", host = "10.0.0.10"): Record<string, unknown> => ({ name, host, user: "pi", role: "server", arch: "amd64" });
export const agent = (name: string, host: string): Record<string, unknown> => ({ name, host, user: "pi", role: "agent", arch: "arm64" });

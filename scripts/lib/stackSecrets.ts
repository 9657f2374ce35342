import * as crypto from "crypto";
import * as YAML from "yaml";

/*
 * Is a stack file's secret readable by anyone who reads this repository?
 * The passphrase secrets provider as the pinned CLI implements it
 * (sdk/go/common/resource/config/crypt.go, pkg/secrets/passphrase):
 * `encryptionsalt: v1:<salt>:v1:<nonce>:<ciphertext of "pulumi">`, the key
 * PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds, 32 bytes), each value
 * `v1:<nonce>:<ciphertext+tag>` in AES-256-GCM.
 */

const ROUNDS = 1_000_000;

/** The key a passphrase gives under a stack file's salt, or undefined when the passphrase is not that file's. */
export function keyFor(encryptionSalt: string, passphrase: string): Buffer | undefined {
    const parts = encryptionSalt.split(":");
    if (parts.length !== 5 || parts[0] !== "v1") return undefined;
    const key = crypto.pbkdf2Sync(passphrase, Buffer.from(parts[1], "base64"), ROUNDS, 32, "sha256");
    return decrypt(key, parts.slice(2).join(":")) === "pulumi" ? key : undefined;
}

/** One `secure:` value decrypted, or undefined when the key does not open it. */
export function decrypt(key: Buffer, value: string): string | undefined {
    const [version, nonce, sealed] = value.split(":");
    if (version !== "v1" || !nonce || !sealed) return undefined;
    try {
        const body = Buffer.from(sealed, "base64");
        const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
        d.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString("utf8");
    } catch {
        return undefined;
    }
}

/** Every `secure:` value in a parsed stack file, with where it is. */
export function secureValues(doc: unknown, at = ""): { at: string; value: string }[] {
    if (Array.isArray(doc)) return doc.flatMap((x, i) => secureValues(x, `${at}[${i}]`));
    if (doc && typeof doc === "object") {
        const o = doc as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o.secure === "string") return [{ at, value: o.secure }];
        return Object.entries(o).flatMap(([k, v]) => secureValues(v, at ? `${at}.${k}` : k));
    }
    return [];
}

/**
 * Passphrases a text prints: values given to PULUMI_CONFIG_PASSPHRASE (env
 * lines, YAML, JS objects), to a `passphrase` key, or to --passphrase; never
 * a reference such as ${{ secrets.X }} or $VAR.
 */
export function printedPassphrases(text: string): string[] {
    const found = new Set<string>();
    const patterns = [/PULUMI_CONFIG_PASSPHRASE["']?\s*[:=]\s*["']?([^"'\s,;)}]*)/g, /\bpassphrase["']?\s*[:=]\s*["']([^"']*)["']/gi, /--passphrase[= ]["']?([^"'\s]+)/g];
    for (const re of patterns) {
        for (const m of text.matchAll(re)) {
            const v = m[1];
            if (v.startsWith("$") || v.startsWith("${{")) continue;
            found.add(v);
        }
    }
    return [...found];
}

export interface ReadableSecret {
    key: string;
    passphrase: string;
}

/** The secrets of a stack file that one of the passphrases opens (empty: none). */
export function readableSecrets(stackFileText: string, passphrases: string[]): ReadableSecret[] {
    const doc = YAML.parse(stackFileText) as { encryptionsalt?: string; config?: unknown } | null;
    const values = secureValues(doc?.config ?? {});
    if (!doc?.encryptionsalt || values.length === 0) return [];
    for (const passphrase of new Set(passphrases)) {
        const key = keyFor(doc.encryptionsalt, passphrase);
        if (!key) continue;
        return values.filter((v) => decrypt(key, v.value) !== undefined).map((v) => ({ key: v.at, passphrase }));
    }
    return [];
}

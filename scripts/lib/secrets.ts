import * as pulumi from "@pulumi/pulumi";

/*
 * Secret envelopes: the marker the SDK wraps secret values in when it
 * serialises them to the engine. Recognised, unwrapped for assertions on
 * plain shapes, or redacted for rendered output.
 */

/** What every secret value becomes in rendered output. */
export const REDACTED = "<redacted>";

/** The SDK's own marker constants. */
const { specialSigKey: SIG_KEY, specialSecretSig: SECRET_SIG } = pulumi.runtime;

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** `value` wrapped as the SDK serialises a secret. */
export function secretEnvelope(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
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

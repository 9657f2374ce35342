import type { ResourceView } from "../../../policy/core/types";
import { isSecretEnvelope, type RegisteredResource } from "../../helpers/mocks";

/** Unwraps secret envelopes like CrossGuard does, remembering where they were. */
function unwrap(v: unknown, path: string, secrets: Set<string>): unknown {
    if (isSecretEnvelope(v)) {
        secrets.add(path);
        return unwrap(v.value, path, secrets);
    }
    if (Array.isArray(v)) return v.map((x, i) => unwrap(x, `${path}[${i}]`, secrets));
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, path ? `${path}.${k}` : k, secrets)]));
    }
    return v;
}

/** `urn:pulumi:stack::project::a$b$pulumi:providers:kubernetes::cluster-k8s::<id>` → type and name. */
export function providerFromRef(ref: string | undefined): ResourceView["provider"] {
    if (!ref) return undefined;
    const parts = ref.split("::");
    if (parts.length < 4) return undefined;
    const urn = parts.slice(0, -1).join("::");
    const typeChain = parts[2];
    return { type: typeChain.split("$").pop() as string, name: parts[3], urn };
}

/**
 * A resource the mock engine registered, as the rules see it: inputs with
 * secrets unwrapped (as CrossGuard gives them) plus the paths that were
 * secret, which only the mocks can tell.
 */
export function fromMocks(r: RegisteredResource): ResourceView {
    const secretPaths = new Set<string>();
    const props = unwrap(r.inputs, "", secretPaths) as Record<string, unknown>;
    return { type: r.type, name: r.name, props, provider: providerFromRef(r.provider), secretPaths };
}

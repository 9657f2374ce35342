import { UnknownValueError } from "@pulumi/policy";
import { UNKNOWN, type ProviderRef, type ResourceView } from "./types";

/**
 * Copies CrossGuard's props into plain data. CrossGuard hands rules a proxy
 * that throws `UnknownValueError` when a value is not known yet (preview of a
 * resource whose input is another resource's output); the copy holds
 * `UNKNOWN` there instead, so a rule can skip what it cannot judge rather
 * than the whole policy being reported as "can't run during preview".
 * Secrets arrive already unwrapped (deserializeProperties(..., false) in
 * @pulumi/policy 1.21) — there is no way to tell them apart here.
 */
export function plainCopy(v: unknown): unknown {
    if (typeof v !== "object" || v === null) return v;
    if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(readField(v, i));
        return out;
    }
    // Assets and archives are class instances; the rules never look inside them.
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = readField(v as Record<string | number, unknown>, k);
    return out;
}

function readField(o: Record<string | number, unknown> | unknown[], k: string | number): unknown {
    try {
        return plainCopy((o as Record<string | number, unknown>)[k]);
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** What CrossGuard passes for one resource (validateResource args or a validateStack entry). */
export interface CrossGuardResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    provider?: { type: string; name: string; urn: string };
}

export function fromCrossGuard(r: CrossGuardResource): ResourceView {
    const provider: ProviderRef | undefined = r.provider ? { type: r.provider.type, name: r.provider.name, urn: r.provider.urn } : undefined;
    return { type: r.type, name: r.name, urn: r.urn, props: plainCopy(r.props) as Record<string, unknown>, provider };
}

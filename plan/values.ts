import * as pulumi from "@pulumi/pulumi";
import type { Arch } from "../config/arch";

/** A Helm values tree whose leaves may be Outputs (secrets stay wrapped per leaf, not per tree). */
export type Values = { [key: string]: unknown };

function isPlainObject(v: unknown): v is Values {
    if (typeof v !== "object" || v === null || Array.isArray(v) || pulumi.Output.isInstance(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges `over` onto `base`: objects merge key by key, everything else
 * (arrays, scalars, Outputs) in `over` replaces what `base` had. Neither
 * input is modified. Outputs are treated as leaves so a secret stays a
 * secret leaf instead of turning the whole values tree secret.
 */
export function deepMerge(base: Values, ...overs: Values[]): Values {
    const out: Values = { ...base };
    for (const over of overs) {
        for (const [k, v] of Object.entries(over)) {
            const prev = out[k];
            out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
        }
    }
    return out;
}

/** Returns a copy of `values` with `value` at the dotted `path` (`auth.password`), creating objects on the way. */
export function setPath(values: Values, path: string, value: unknown): Values {
    const [head, ...rest] = path.split(".");
    if (rest.length === 0) return { ...values, [head]: value };
    const child = isPlainObject(values[head]) ? (values[head] as Values) : {};
    return { ...values, [head]: setPath(child, rest.join("."), value) };
}

/** The node selector for a placement: `kubernetes.io/arch` when an arch is set, plus any node labels. */
export function nodeSelectorFor(placement: { arch?: Arch; nodeSelector?: Record<string, string> }): Record<string, string> {
    return {
        ...(placement.arch ? { "kubernetes.io/arch": placement.arch } : {}),
        ...(placement.nodeSelector ?? {}),
    };
}

/** Plain-object resource requirements for chart values. */
export function resourceValues(r: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } }): Values {
    return { requests: { ...r.requests }, limits: { ...r.limits } };
}

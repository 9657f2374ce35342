import type { z } from "zod";

/*
 * Reading the raw config defensively: which secret keys an entry names even
 * when the entry fails its schema, and which keys a schema allows at a path
 * (for "did you mean" on a nested typo).
 */

const asRecord = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (vs: unknown[]): string[] => vs.filter((v): v is string => typeof v === "string");

/** The secret config keys a raw `picluster:<key>` value references by name, valid or not. */
export function referencedSecretKeys(key: string, raw: unknown): string[] {
    const root = asRecord(raw);
    switch (key) {
        case "cluster": {
            const nodes = asArray(root.nodes).map((n) => asRecord(n).sshKey);
            // registries: auth.passwordKey / auth.tokenKey under each configs.<host>
            const auths = Object.values(asRecord(asRecord(root.registries).configs)).map((c) => asRecord(asRecord(c).auth));
            return strings([...nodes, ...auths.flatMap((a) => [a.passwordKey, a.tokenKey])]);
        }
        case "apps":
            return strings(asArray(raw).flatMap((a) => Object.values(asRecord(asRecord(a).secrets))));
        case "services": {
            const alerts = asRecord(asRecord(root.monitoring).alerts);
            const alertKeys = [asRecord(alerts.webhook).urlKey, asRecord(alerts.email).passwordKey];
            return strings([...asArray(root.catalog).flatMap((c) => Object.values(asRecord(asRecord(c).secretValues))), ...alertKeys]);
        }
        case "backups":
            return strings(Object.values(asRecord(asRecord(root.s3).credentials)));
        case "network":
            return strings([asRecord(asRecord(asRecord(root.tls).acme).dns01).apiTokenKey]);
        default:
            return [];
    }
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Unwraps defaults, optionals and pipes to the schema that holds the shape. */
function unwrap(s: z.ZodType): z.ZodType {
    let cur = s;
    for (let i = 0; i < 10; i++) {
        const d = defOf(cur);
        const next = d.innerType ?? (d.type === "pipe" ? d.in : undefined);
        if (!next) return cur;
        cur = next;
    }
    return cur;
}

/** The keys an object schema allows at `path` (array indices and record keys walked through), or none. */
export function shapeKeysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
    let cur: z.ZodType | undefined = unwrap(schema);
    for (const p of path) {
        if (!cur) return [];
        const d = defOf(cur);
        if (d.type === "array" && typeof p === "number") cur = d.element && unwrap(d.element);
        else if (d.type === "object" && d.shape) cur = d.shape[String(p)] && unwrap(d.shape[String(p)]);
        else if (d.type === "record" && d.valueType) cur = unwrap(d.valueType);
        else return [];
    }
    if (!cur) return [];
    const d = defOf(cur);
    if (d.type === "object" && d.shape) return Object.keys(d.shape);
    if (d.type === "union" && d.options) return [...new Set(d.options.flatMap((o) => shapeKeysAt(o, [])))];
    return [];
}

/*
 * The part of Helm's version constraints that chart dependencies use:
 * exact versions, `x`/`*` wildcards and partial versions ("13.x.x", "0.12.*",
 * "0.0"), comparisons, `^` and `~`, `,`/space for AND and `||` for OR.
 * Pre-releases match only an exact constraint, as in Helm.
 */

export type Version = [number, number, number, string];

export function parseVersion(v: string): Version | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ""] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    if (a[3] === b[3]) return 0;
    if (a[3] === "") return 1;
    if (b[3] === "") return -1;
    return a[3] < b[3] ? -1 : 1;
}

function term(t: string, v: Version): boolean {
    const m = /^(>=|<=|!=|=|>|<|\^|~)?\s*v?([0-9xX*]+)(?:\.([0-9xX*]+))?(?:\.([0-9xX*]+))?(?:-([0-9A-Za-z.-]+))?$/.exec(t);
    if (!m) throw new Error(`unsupported version constraint term "${t}"`);
    const op = m[1] ?? "=";
    const parts = [m[2], m[3], m[4]].map((p) => (p === undefined || /^[xX*]$/.test(p) ? undefined : Number(p)));
    const wild = parts.findIndex((p) => p === undefined);
    const base: Version = [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, m[5] ?? ""];
    if (v[3] !== "" && !(op === "=" && wild < 0 && base[3] === v[3])) return false;
    const c = compareVersions(v, base);
    // the first version past the wildcard range ("1.2.x" -> 1.3.0)
    const upper = (level: number): Version => (level === 0 ? [base[0] + 1, 0, 0, ""] : level === 1 ? [base[0], base[1] + 1, 0, ""] : [base[0], base[1], base[2] + 1, ""]);
    switch (op) {
        case "=":
            return wild < 0 ? c === 0 : wild === 0 || (c >= 0 && compareVersions(v, upper(wild - 1)) < 0);
        case "!=":
            return c !== 0;
        case ">":
            return c > 0;
        case ">=":
            return c >= 0;
        case "<":
            return c < 0;
        case "<=":
            return c <= 0;
        case "~":
            return c >= 0 && compareVersions(v, upper(wild === 0 ? 0 : wild === 1 ? 0 : 1)) < 0;
        default: {
            const level = base[0] > 0 ? 0 : base[1] > 0 || wild === 2 ? 1 : wild === 1 ? 0 : 2;
            return c >= 0 && compareVersions(v, upper(level)) < 0;
        }
    }
}

/** Whether `version` satisfies a Helm dependency `constraint`. */
export function satisfies(version: string, constraint: string): boolean {
    const v = parseVersion(version);
    if (!v) return false;
    return constraint.split("||").some((alt) =>
        alt
            .trim()
            .replace(/(>=|<=|!=|=|>|<|\^|~)\s+/g, "$1")
            .split(/[\s,]+/)
            .filter((t) => t !== "")
            .every((t) => term(t, v)),
    );
}

/*
 * Version order for `npm run outdated`: semver precedence (pre-release
 * identifiers compared one by one, numbers as numbers: rc.10 after rc.9),
 * plus k3s's build number, which names a different release
 * (v1.33.5+k3s2 is a re-spin of v1.33.5+k3s1, not the same thing), and
 * container tags, whose suffix is a variant (`-alpine`, `-noble`), never a
 * pre-release: only tags with the same suffix compare.
 */

/** A chart or k3s release taken apart. */
export interface Release {
    core: [number, number, number];
    /** Pre-release identifiers (`rc.1` → ["rc", "1"]); empty for a release. */
    pre: string[];
    /** k3s's `+k3sN` build number; undefined for other build metadata (ignored, as semver says). */
    k3s?: number;
}

/** `v1.33.5+k3s1`, `88.5.3`, `1.0.0-rc.1`, `v1.21`; undefined for anything else. */
export function parseRelease(v: string): Release | undefined {
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(v.trim());
    if (!m) return undefined;
    const k3s = m[5] ? /^k3s(\d+)$/.exec(m[5]) : null;
    return { core: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], pre: m[4] ? m[4].split(".") : [], ...(k3s ? { k3s: Number(k3s[1]) } : {}) };
}

function comparePre(a: string[], b: string[]): number {
    if (a.length === 0 || b.length === 0) return (a.length === 0 ? 1 : 0) - (b.length === 0 ? 1 : 0);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const [x, y] = [a[i], b[i]];
        const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
        if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
        if (nx !== ny) return nx ? -1 : 1;
        if (!nx && x !== y) return x < y ? -1 : 1;
    }
    return a.length - b.length;
}

/** Negative when a is older than b, 0 when they are the same release. */
export function compareReleases(a: Release, b: Release): number {
    for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i] - b.core[i];
    const pre = comparePre(a.pre, b.pre);
    if (pre !== 0) return pre;
    return (a.k3s ?? 0) - (b.k3s ?? 0);
}

/** The newest release of `versions` (pre-releases left out) and the newest with `current`'s major.minor. */
export function newestReleases(current: string, versions: string[]): { newest?: string; sameMinor?: string } {
    const cur = parseRelease(current);
    const parsed = versions
        .map((v) => ({ v, r: parseRelease(v) }))
        .filter((x): x is { v: string; r: Release } => x.r !== undefined && x.r.pre.length === 0)
        .sort((a, b) => compareReleases(b.r, a.r));
    const sameMinor = cur ? parsed.find((x) => x.r.core[0] === cur.core[0] && x.r.core[1] === cur.core[1]) : undefined;
    return { newest: parsed[0]?.v, sameMinor: sameMinor?.v };
}

/** A container tag: an optional `v`, up to four numbers, and the suffix that names its variant. */
interface Tag {
    v: string;
    nums: number[];
    suffix: string;
}

function parseTag(tag: string): Tag | undefined {
    const m = /^(v?)(\d+(?:\.\d+){0,3})(.*)$/.exec(tag);
    return m ? { v: m[1], nums: m[2].split(".").map(Number), suffix: m[3] } : undefined;
}

/** MinIO-style `RELEASE.2024-12-18T13-15-44Z`: the timestamp orders them. */
const TIMESTAMP_TAG = /^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

/**
 * The newest tag of the same kind as `current` (same `v`, as many numbers,
 * same suffix; or another RELEASE.<timestamp>) and the newest with its first
 * two numbers.
 */
export function newestTags(current: string, tags: string[]): { newest?: string; sameMinor?: string } {
    if (TIMESTAMP_TAG.test(current)) return { newest: tags.filter((t) => TIMESTAMP_TAG.test(t)).sort().at(-1) };
    const cur = parseTag(current);
    if (!cur) return {};
    const like = tags
        .map((t) => ({ t, p: parseTag(t) }))
        .filter((x): x is { t: string; p: Tag } => x.p !== undefined && x.p.v === cur.v && x.p.suffix === cur.suffix && x.p.nums.length === cur.nums.length)
        .sort((a, b) => {
            for (let i = 0; i < cur.nums.length; i++) if (a.p.nums[i] !== b.p.nums[i]) return b.p.nums[i] - a.p.nums[i];
            return 0;
        });
    const sameMinor = cur.nums.length >= 2 ? like.find((x) => x.p.nums[0] === cur.nums[0] && x.p.nums[1] === cur.nums[1]) : undefined;
    return { newest: like[0]?.t, sameMinor: sameMinor?.t };
}

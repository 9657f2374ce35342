import { cachedChartVersions, chartCacheDir } from "../../config/chartIndex";
import { DEFAULT_INSTALLER } from "../../config/schema/cluster";
import { imagesInUse } from "../../plan/compat/check";
import { imageSupport } from "../../plan/compat/images";
import type { StackPlan } from "../../plan/plan";
import type { Lookup, OnlineSources } from "./outdatedSources";
import { newestReleases, newestTags, parseRelease } from "./outdatedVersions";

/*
 * `npm run outdated`: every version a stack pins, from its plan (the k3s
 * release, the default installer, each chart with the key that pins it, each
 * image the plan runs or names), with the newest release, the newest of the
 * same minor and whether upstream still maintains it (plan/compat/images.ts).
 * Offline from the chart cache's indexes; online from the sources themselves.
 */

export type Status = "maintained" | "frozen" | "eol" | "unknown";

export interface PinRow {
    kind: "k3s" | "installer" | "chart" | "image";
    name: string;
    /** The config key (or file) that pins it. */
    at: string;
    current: string;
    newest: string;
    sameMinor: string;
    support: string;
    status: Status;
    /** What the lookups ask: a chart in a repository, an image repository. */
    repo?: string;
}

const OFFLINE = "unknown (offline)";
const NOT_LOOKED_UP = "—";

/** The rows of a plan, before any lookup: current pins and their support status. */
export function pinRows(plan: StackPlan): PinRow[] {
    const rows: PinRow[] = [];
    const blank = { newest: OFFLINE, sameMinor: OFFLINE, support: NOT_LOOKED_UP, status: "unknown" as Status };
    const { cluster } = plan.config;
    if (!plan.config.existingCluster) {
        rows.push({ kind: "k3s", name: "k3s", at: "cluster.k3sVersion", current: cluster.k3sVersion, ...blank });
        if (cluster.installScriptUrl === undefined && cluster.artifacts === undefined) {
            const commit = /\/([0-9a-f]{40})\/install\.sh$/.exec(DEFAULT_INSTALLER.url)?.[1] ?? DEFAULT_INSTALLER.url;
            rows.push({ kind: "installer", name: "k3s install.sh", at: "DEFAULT_INSTALLER (config/schema/cluster.ts)", current: commit, ...blank });
        }
    }
    for (const c of plan.platform.charts) rows.push({ kind: "chart", name: c.chart, at: c.at, current: c.version, repo: c.repo, ...blank });
    const seen = new Map<string, PinRow>();
    for (const { at, image } of imagesInUse(plan.config, plan.platform)) {
        const prev = seen.get(image);
        if (prev) {
            prev.at = `${prev.at}, ${at}`;
            continue;
        }
        const [name, digest] = image.split("@");
        const colon = name.lastIndexOf(":") > name.lastIndexOf("/") ? name.lastIndexOf(":") : -1;
        const support = imageSupport(image);
        const row: PinRow = {
            kind: "image",
            name: colon < 0 ? name : name.slice(0, colon),
            at,
            current: `${colon < 0 ? "(untagged)" : name.slice(colon + 1)}${digest ? "@digest" : ""}`,
            repo: colon < 0 ? name : name.slice(0, colon),
            ...blank,
            status: support?.status ?? "unknown",
            support: support ? `${support.status} since ${support.since}` : "not in the table",
        };
        seen.set(image, row);
        rows.push(row);
    }
    return rows;
}

/** Fills chart rows from the chart cache's indexes; the rest stay unknown offline. */
export function fillOffline(rows: PinRow[], cacheDir = chartCacheDir()): PinRow[] {
    return rows.map((r) => {
        if (r.kind !== "chart" || !r.repo) return r;
        const versions = cachedChartVersions(r.repo, r.name, cacheDir);
        if (versions === undefined) return { ...r, newest: "unknown (no cached index: npm run charts)", sameMinor: NOT_LOOKED_UP };
        if (versions.length === 0) return { ...r, newest: `unknown (the cached index lists no ${r.name})`, sameMinor: NOT_LOOKED_UP };
        const n = newestReleases(r.current, versions);
        return { ...r, newest: n.newest ?? NOT_LOOKED_UP, sameMinor: n.sameMinor ?? NOT_LOOKED_UP };
    });
}

/** Kubernetes (and so k3s) maintains its newest three minors. */
export function k3sSupport(current: string, releases: string[]): { status: Status; support: string } {
    const cur = parseRelease(current);
    const minors = [...new Set(releases.map((r) => parseRelease(r)).filter((r) => r?.core[0] === 1).map((r) => r?.core[1] as number))].sort((a, b) => b - a);
    if (!cur || minors.length === 0) return { status: "unknown", support: NOT_LOOKED_UP };
    const oldest = minors[Math.min(2, minors.length - 1)];
    return cur.core[1] >= oldest ? { status: "maintained", support: `maintained (1.${oldest}-1.${minors[0]})` } : { status: "eol", support: `eol (maintained: 1.${oldest}-1.${minors[0]})` };
}

/** Asks each row's source; an unreachable source fills the row with why. */
export async function fillOnline(rows: PinRow[], sources: OnlineSources): Promise<PinRow[]> {
    const ask = (r: PinRow): Promise<Lookup> | undefined => {
        if (r.kind === "chart" && r.repo) return sources.chartVersions(r.repo, r.name);
        if (r.kind === "image" && r.repo && r.current !== "(untagged)") return sources.tags(r.repo);
        if (r.kind === "k3s") return sources.k3sReleases();
        if (r.kind === "installer") return sources.installer(r.current);
        return undefined;
    };
    return Promise.all(
        rows.map(async (r) => {
            const lookup = await ask(r);
            if (!lookup) return r;
            if ("unreachable" in lookup) return { ...r, newest: `unreachable: ${lookup.unreachable}`, sameMinor: NOT_LOOKED_UP };
            if (r.kind === "installer") {
                const [sha, state] = lookup.versions;
                return { ...r, newest: state === "current" ? r.current : `${sha} (install.sh ${state})`, sameMinor: NOT_LOOKED_UP };
            }
            const current = r.current.replace(/@digest$/, "");
            const n = r.kind === "image" ? newestTags(current, lookup.versions) : newestReleases(current, lookup.versions);
            const row = { ...r, newest: n.newest ?? "none of its kind", sameMinor: n.sameMinor ?? NOT_LOOKED_UP };
            return r.kind === "k3s" ? { ...row, ...k3sSupport(current, lookup.versions) } : row;
        }),
    );
}

/** Whether a row keeps the stack from passing: frozen or past end of life. */
export const blocking = (r: PinRow): boolean => r.status === "frozen" || r.status === "eol";

/** One stack's table, columns aligned, a line per pin. */
export function formatTable(stack: string, rows: PinRow[], mode: "offline" | "online"): string {
    const head = ["KIND", "NAME", "CURRENT", "NEWEST", "SAME MINOR", "SUPPORT", "PINNED BY"];
    const body = rows.map((r) => [r.kind, r.name, r.current, r.newest, r.sameMinor, blocking(r) ? `${r.support} !` : r.support, r.at]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
    const blocked = rows.filter(blocking).length;
    const unreachable = rows.filter((r) => r.newest.startsWith("unreachable:")).length;
    const note = mode === "offline" ? "offline: chart releases from the chart cache's indexes; images, k3s and the installer need --online" : `online; ${unreachable} unreachable`;
    return [`${stack}: ${rows.length} pins (${note}); ${blocked === 0 ? "none frozen or past end of life" : `${blocked} frozen or past end of life (!)`}`, line(head), ...body.map(line)].join("\n");
}

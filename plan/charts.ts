import { NAMESPACE } from "../config/load";
import { compareVersions, parseVersion } from "../config/semver";
import type { ChartRef } from "./catalog/types";

/** A chart the plan installs, with the config key that pins it. */
export interface PinnedChart extends ChartRef {
    /** e.g. `services.monitoring.version`. */
    at: string;
}

/** The versions a repository has published for a chart; undefined when its index cannot be read. */
export type ChartVersions = (repo: string, chart: string) => string[] | undefined;

/** The newest released (non-pre-release) version of a list, else the newest of all. */
export function newestVersion(versions: string[]): string | undefined {
    const parsed = versions.map((v) => ({ v, p: parseVersion(v) })).filter((x): x is { v: string; p: NonNullable<ReturnType<typeof parseVersion>> } => x.p !== undefined);
    const released = parsed.filter((x) => x.p[3] === "");
    const pool = released.length > 0 ? released : parsed;
    return pool.sort((a, b) => compareVersions(b.p, a.p))[0]?.v;
}

/**
 * Each pinned chart against its repository's index: a version the index
 * does not list was never released (or was pulled) and would fail only at
 * `up`; refused, naming the newest release. A repository whose index cannot
 * be read is a warning, once per repository: unchecked, not passed.
 */
export function chartVersionProblems(charts: PinnedChart[], versionsOf: ChartVersions): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const unread = new Set<string>();
    for (const c of charts) {
        const versions = versionsOf(c.repo, c.chart);
        if (versions === undefined) {
            unread.add(c.repo);
            continue;
        }
        if (versions.includes(c.version)) continue;
        const newest = newestVersion(versions);
        problems.push(
            versions.length === 0
                ? `${NAMESPACE}:${c.at} = "${c.version}": the index of ${c.repo} has no chart named ${c.chart}; check the chart name and repository`
                : `${NAMESPACE}:${c.at} = "${c.version}": ${c.repo} never released ${c.chart} ${c.version}; the newest release is ${newest} (pin one the index lists)`,
        );
    }
    const warnings = [...unread].map((repo) => `chart versions from ${repo} are not checked: its index is not in the chart cache; run \`npm run charts\` (or \`npm run charts -- --online\`) to check them at preview`);
    return { problems, warnings };
}

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

/*
 * The chart cache's repository indexes, read as an input of the plan: which
 * versions of a chart its repository has published. `npm run charts` fills
 * the cache (offline from local chart sources, or online); the program itself
 * never goes to the network during a preview.
 */

/** A repository URL without its trailing slash: the key of the cache and of the chart sources. */
export function repoKey(repo: string): string {
    return repo.replace(/\/+$/, "");
}

/** A file-system-safe name for a repository URL (the cache's directory for it). */
export function repoSlug(repo: string): string {
    return repoKey(repo)
        .replace(/^[a-z]+:\/\//, "")
        .replace(/[^A-Za-z0-9.-]+/g, "_");
}

/** The chart cache: $PICLUSTER_CHARTS_DIR, else ~/.cache/picluster-charts. */
export function chartCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.PICLUSTER_CHARTS_DIR ?? path.join(os.homedir(), ".cache", "picluster-charts");
}

/** The versions of `chart` the cached index of `repo` lists, or undefined when the index is not cached. */
export function cachedChartVersions(repo: string, chart: string, dir = chartCacheDir()): string[] | undefined {
    const file = path.join(dir, repoSlug(repo), "index.yaml");
    if (!fs.existsSync(file)) return undefined;
    const index = YAML.parse(fs.readFileSync(file, "utf8")) as { entries?: Record<string, { version: string }[]> } | null;
    return (index?.entries?.[chart] ?? []).map((e) => e.version);
}

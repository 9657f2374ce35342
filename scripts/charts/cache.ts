/*
 * The chart cache: packaged upstream charts at the pinned versions, with
 * their dependencies inside, and each repository's index, kept outside the
 * repository in ${PICLUSTER_CHARTS_DIR:-~/.cache/picluster-charts}:
 *
 *   <cache>/<repo-slug>/index.yaml             the repository's index
 *   <cache>/<repo-slug>/<chart>-<version>.tgz   the packaged chart
 *
 * Offline, a chart is packaged from its source repository (a local git
 * mirror under ${PICLUSTER_CHART_SOURCES:-/work/.mirror}, see sources.ts):
 * the published .tgz when the repository's pages branch keeps it, otherwise
 * `git archive <tag> <dir>` + `helm package`, every dependency packaged the
 * same way into the chart's charts/. Online, `helm pull` and the repository's
 * own index.yaml.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { cachedChartVersions } from "../../config/chartIndex";
import { chartSource, ChartSource, repoKey, repoSlug } from "./sources";
import { compareVersions, parseVersion, satisfies } from "../../config/semver";

/** One pinned chart. */
export interface ChartPin {
    repo: string;
    chart: string;
    version: string;
}

export function cacheDir(): string {
    return process.env.PICLUSTER_CHARTS_DIR ?? path.join(os.homedir(), ".cache", "picluster-charts");
}

export function chartTgz(pin: ChartPin, dir = cacheDir()): string {
    return path.join(dir, repoSlug(pin.repo), `${pin.chart}-${pin.version}.tgz`);
}

export function indexFile(repo: string, dir = cacheDir()): string {
    return path.join(dir, repoSlug(repo), "index.yaml");
}

/** The versions of `chart` that a repository's cached index lists. */
export function indexedVersions(repo: string, chart: string, dir = cacheDir()): string[] | undefined {
    return cachedChartVersions(repo, chart, dir);
}

/** The helm binary: $HELM, else the toolchain's, else the one on PATH. */
export function helmBin(): string {
    if (process.env.HELM) return process.env.HELM;
    const tool = path.join(process.env.PICLUSTER_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "picluster-toolchain"), `helm-v${HELM_VERSION}`, "bin", "helm");
    if (fs.existsSync(tool)) return tool;
    const onPath = (process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "helm")).find((f) => fs.existsSync(f));
    if (onPath) return onPath;
    throw new Error(
        `helm is not installed: build the pinned ${HELM_VERSION} with \`scripts/toolchain.sh helm\` (needs Go), or install helm v${HELM_VERSION} on PATH (https://helm.sh/docs/intro/install/), or point HELM at a helm binary`,
    );
}

/** helm.sh/helm/v3 as embedded by the newest pulumi-kubernetes provider source available (see docs/decisions.md). */
// renovate: datasource=github-releases depName=helm/helm extractVersion=^v(?<version>.+)$
export const HELM_VERSION = "3.20.2";

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
    return execFileSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] });
}

// ---------------------------------------------------------------------------
// offline: from source repositories
// ---------------------------------------------------------------------------

/** The local git directory of a source repository: a fetch-tool mirror or a plain clone. */
export function sourceGitDir(github: string): string {
    const root = process.env.PICLUSTER_CHART_SOURCES ?? "/work/.mirror";
    const [owner, name] = github.split("/");
    for (const dir of [path.join(root, `${owner}+${name}`, "repo"), path.join(root, owner, name, ".git"), path.join(root, owner, name)]) {
        if (fs.existsSync(path.join(dir, "HEAD"))) return dir;
    }
    throw new Error(`no local source for ${github} under ${root}: clone https://github.com/${github} to ${path.join(root, owner, name)} (or set PICLUSTER_CHART_SOURCES)`);
}

const git = (gitDir: string, ...args: string[]): Buffer => run("git", ["--git-dir", gitDir, ...args]);

/** Published versions of a chart from its source repository's release tags, newest first, with their dates. */
export function taggedVersions(source: ChartSource, chart: string): { version: string; tag: string; time: number }[] {
    const gitDir = sourceGitDir(source.github);
    const [prefix, suffix] = source.tag(chart, "\u0000").split("\u0000");
    const lines = git(gitDir, "for-each-ref", "--format=%(refname:short) %(creatordate:unix)", `refs/tags/${prefix}*`).toString().trim().split("\n");
    return lines
        .map((l) => l.split(" "))
        .filter(([tag]) => tag !== undefined && tag.startsWith(prefix) && tag.endsWith(suffix))
        .map(([tag, time]) => ({ tag, time: Number(time), version: tag.slice(prefix.length, tag.length - suffix.length) }))
        .filter((t) => parseVersion(t.version) !== undefined)
        .sort((a, b) => compareVersions(parseVersion(b.version)!, parseVersion(a.version)!));
}

/** Writes a repository's index into the cache: the published one, or one made from release tags. */
export function fillIndexOffline(repo: string, chart: string, dir = cacheDir()): void {
    const source = chartSource(repo);
    const file = indexFile(repo, dir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const published = publishedIndex(source);
    if (published) {
        fs.writeFileSync(file, published);
        return;
    }
    // No published index here (none kept, or too large for the mirror): every release tag is a published version.
    const existing = fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) as { entries: Record<string, unknown[]> }) : { entries: {} };
    existing.entries[chart] = taggedVersions(source, chart).map((t) => ({ name: chart, version: t.version, tag: t.tag }));
    fs.writeFileSync(file, YAML.stringify({ apiVersion: "v1", generated: "from release tags by scripts/charts", entries: existing.entries }));
}

/** The repository's published index.yaml from its pages branch, if the local source has it. */
function publishedIndex(source: ChartSource): Buffer | undefined {
    if (!source.index) return undefined;
    const [branch, p] = source.index.split(":");
    try {
        return git(sourceGitDir(source.github), "show", `${branch}:${p}`);
    } catch {
        return undefined; // listed but absent (a mirror leaves out its largest files)
    }
}

/** The published .tgz of a version when the repository's pages branch keeps it (relative URL in its index). */
function publishedTgz(source: ChartSource, pin: ChartPin): Buffer | undefined {
    const text = publishedIndex(source);
    if (!text || !source.index) return undefined;
    const [branch, p] = source.index.split(":");
    const gitDir = sourceGitDir(source.github);
    const index = YAML.parse(text.toString()) as { entries?: Record<string, { version: string; urls?: string[] }[]> };
    const listed = index.entries?.[pin.chart]?.find((e) => e.version === pin.version)?.urls?.[0];
    // An absolute URL under the repository itself (charts.min.io's) is the same file in the branch.
    const url = listed?.startsWith(`${repoKey(pin.repo)}/`) ? listed.slice(repoKey(pin.repo).length + 1) : listed;
    if (!url || /^[a-z]+:\/\//.test(url)) return undefined;
    return git(gitDir, "show", `${branch}:${path.posix.join(path.posix.dirname(p), url)}`);
}

/**
 * Packages `pin` from source into `outDir` and returns the .tgz path.
 * Dependencies: the version Chart.lock names, else the newest release that
 * satisfies the constraint and was tagged before the chart (what
 * `helm dependency update` chose when the chart was released).
 */
export function packageFromSource(pin: ChartPin, outDir: string): string {
    const source = chartSource(pin.repo);
    fs.mkdirSync(outDir, { recursive: true });
    const out = path.join(outDir, `${pin.chart}-${pin.version}.tgz`);
    const published = publishedTgz(source, pin);
    if (published) {
        fs.writeFileSync(out, published);
        return out;
    }
    const tagged = taggedVersions(source, pin.chart).find((t) => t.version === pin.version);
    if (!tagged) throw new Error(`${pin.chart} ${pin.version}: ${source.github} has no tag ${source.tag(pin.chart, pin.version)}; that version was never released`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-chart-"));
    try {
        const gitDir = sourceGitDir(source.github);
        const dirInRepo = source.dir(pin.chart);
        const tar = git(gitDir, "archive", "--format=tar", tagged.tag, dirInRepo === "." ? "." : dirInRepo);
        run("tar", ["-x", "-C", work], { input: tar });
        const chartDir = path.join(work, dirInRepo);
        if (source.chartpress) applyChartpress(chartDir, pin.version);
        if (source.versionFromTag) applyTagVersion(chartDir, pin.version);
        const meta = YAML.parse(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as { dependencies?: { name: string; version: string; repository?: string }[] };
        const lockFile = path.join(chartDir, "Chart.lock");
        const lock = fs.existsSync(lockFile) ? (YAML.parse(fs.readFileSync(lockFile, "utf8")) as { dependencies?: { name: string; version: string }[] }) : {};
        for (const dep of meta.dependencies ?? []) {
            if (!dep.repository || dep.repository.startsWith("file://")) continue;
            const locked = lock.dependencies?.find((d) => d.name === dep.name)?.version;
            // A dependency the chart keeps packaged in its charts/ (MetalLB's frr-k8s) is already in place.
            if (locked && fs.existsSync(path.join(chartDir, "charts", `${dep.name}-${locked}.tgz`))) continue;
            const depSource = chartSource(dep.repository);
            const candidates = taggedVersions(depSource, dep.name);
            const chosen = locked ?? (candidates.find((c) => c.time <= tagged.time && satisfies(c.version, dep.version)) ?? candidates.find((c) => satisfies(c.version, dep.version)))?.version;
            if (!chosen) throw new Error(`${pin.chart} ${pin.version}: no release of dependency ${dep.name} in ${depSource.github} satisfies ${dep.version}`);
            packageFromSource({ repo: dep.repository, chart: dep.name, version: chosen }, path.join(chartDir, "charts"));
        }
        run(helmBin(), ["package", chartDir, "--destination", outDir]);
        if (!fs.existsSync(out)) throw new Error(`helm package of ${pin.chart} ${pin.version} did not write ${out}; does the tag's Chart.yaml carry that version?`);
        return out;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** What chartpress does at a release: the chart version and every image tag become the tag's version. */
function applyChartpress(chartDir: string, version: string): void {
    const chartYaml = path.join(chartDir, "Chart.yaml");
    fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, "utf8").replace(/^version: .*$/m, `version: ${version}`));
    const values = path.join(chartDir, "values.yaml");
    fs.writeFileSync(values, fs.readFileSync(values, "utf8").replace(/"set-by-chartpress"/g, `"${version}"`));
}

/** What cert-manager's release does to its chart: version and appVersion become the tag's (the images default to appVersion). */
function applyTagVersion(chartDir: string, version: string): void {
    const chartYaml = path.join(chartDir, "Chart.yaml");
    fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, "utf8").replace(/^version: .*$/m, `version: ${version}`).replace(/^appVersion: .*$/m, `appVersion: ${version}`));
}

// ---------------------------------------------------------------------------
// online: from the chart repositories
// ---------------------------------------------------------------------------

export async function fillOnline(pin: ChartPin, dir = cacheDir()): Promise<void> {
    const slugDir = path.dirname(chartTgz(pin, dir));
    fs.mkdirSync(slugDir, { recursive: true });
    if (pin.repo.startsWith("oci://")) {
        run(helmBin(), ["pull", `${repoKey(pin.repo)}/${pin.chart}`, "--version", pin.version, "--destination", slugDir]);
        // An OCI registry has no index; the versions it served are recorded as one.
        const file = indexFile(pin.repo, dir);
        const index = fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) as { entries: Record<string, { version: string }[]> }) : { entries: {} };
        const list = (index.entries[pin.chart] ??= []);
        if (!list.some((e) => e.version === pin.version)) list.push({ version: pin.version });
        fs.writeFileSync(file, YAML.stringify({ apiVersion: "v1", generated: "versions pulled from the OCI registry", ...index }));
        return;
    }
    const res = await fetch(`${repoKey(pin.repo)}/index.yaml`);
    if (!res.ok) throw new Error(`${pin.repo}/index.yaml: HTTP ${res.status}`);
    fs.writeFileSync(indexFile(pin.repo, dir), Buffer.from(await res.arrayBuffer()));
    run(helmBin(), ["pull", pin.chart, "--repo", pin.repo, "--version", pin.version, "--destination", slugDir]);
}

/** Fills the cache for every pin; returns one line per pin (or its error). */
export async function fillCache(pins: ChartPin[], opts: { online?: boolean; dir?: string } = {}): Promise<{ pin: ChartPin; error?: string }[]> {
    const dir = opts.dir ?? cacheDir();
    const results: { pin: ChartPin; error?: string }[] = [];
    for (const pin of pins) {
        try {
            if (opts.online) await fillOnline(pin, dir);
            else {
                fillIndexOffline(pin.repo, pin.chart, dir);
                if (!fs.existsSync(chartTgz(pin, dir))) packageFromSource(pin, path.dirname(chartTgz(pin, dir)));
            }
            results.push({ pin });
        } catch (e) {
            const err = e as Error & { stderr?: Buffer };
            results.push({ pin, error: (err.stderr?.toString().trim() || err.message).split("\n").slice(-3).join(" ") });
        }
    }
    return results;
}

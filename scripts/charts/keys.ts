/*
 * Ineffective keys: a values key the program sets that the chart version
 * neither declares in its values.yaml nor reads in its templates does
 * nothing, silently. Subchart keys (`<alias>.…`) are looked up in the
 * subchart, `global.…` in every chart of the package.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { chartTgz } from "./cache";
import { Release } from "./releases";

/** One chart of a package: its default values, its template text, its subcharts by name/alias. */
export interface ChartTree {
    name: string;
    values: unknown;
    templates: string;
    subcharts: Map<string, ChartTree>;
}

function readChart(dir: string): ChartTree {
    const meta = YAML.parse(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { name: string; dependencies?: { name: string; alias?: string }[] };
    const valuesFile = path.join(dir, "values.yaml");
    const values = fs.existsSync(valuesFile) ? YAML.parse(fs.readFileSync(valuesFile, "utf8")) : {};
    let templates = "";
    const walk = (d: string) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            if (e.isDirectory()) walk(path.join(d, e.name));
            else if (/\.(tpl|yaml|yml|txt|json|py|conf)$/.test(e.name)) templates += fs.readFileSync(path.join(d, e.name), "utf8") + "\n";
        }
    };
    walk(path.join(dir, "templates"));
    walk(path.join(dir, "files"));
    const subcharts = new Map<string, ChartTree>();
    const chartsDir = path.join(dir, "charts");
    if (fs.existsSync(chartsDir)) {
        for (const e of fs.readdirSync(chartsDir, { withFileTypes: true })) {
            let sub: ChartTree | undefined;
            if (e.isDirectory() && fs.existsSync(path.join(chartsDir, e.name, "Chart.yaml"))) sub = readChart(path.join(chartsDir, e.name));
            else if (e.name.endsWith(".tgz")) sub = readPackage(path.join(chartsDir, e.name));
            if (!sub) continue;
            const subName = sub.name;
            const aliases = (meta.dependencies ?? []).filter((d) => d.name === subName).map((d) => d.alias ?? d.name);
            for (const alias of aliases.length ? aliases : [subName]) subcharts.set(alias, sub);
        }
    }
    return { name: meta.name, values, templates, subcharts };
}

/** Reads a packaged chart (.tgz). */
export function readPackage(tgz: string): ChartTree {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-chart-read-"));
    try {
        execFileSync("tar", ["-xzf", tgz, "-C", dir]);
        const [top] = fs.readdirSync(dir);
        return readChart(path.join(dir, top));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether a template reads `.Values.<path>`, passes an ancestor map whole
 * (`toYaml .Values.cluster.affinity`, `with .Values.hub`), or names the
 * dotted path as a string (z2jh's `get_config("hub.config")`).
 */
function templatesRead(templates: string, keyPath: string[]): boolean {
    const dotted = keyPath.join(".");
    if (templates.includes(`.Values.${dotted}`) || templates.includes(`"${dotted}"`)) return true;
    // `.Values.global` alone is handed to helpers everywhere; it does not make every global key used.
    for (let i = keyPath.length - 1; i > (keyPath[0] === "global" ? 1 : 0); i--) {
        if (new RegExp(`\\.Values\\.${escape(keyPath.slice(0, i).join("."))}(?![.\\w])`).test(templates)) return true;
    }
    return false;
}

/**
 * The keys of `values` the chart does not use, as dotted paths. A key is used
 * when the chart's defaults declare it (a declared empty map, null or list
 * takes any content) or a template reads it.
 */
export function ineffectiveKeys(chart: ChartTree, values: unknown, prefix: string[] = [], defaults: unknown = chart.values, globals: ChartTree[] = allCharts(chart)): string[] {
    if (!isMap(values)) return [];
    const out: string[] = [];
    for (const [key, v] of Object.entries(values)) {
        const p = [...prefix, key];
        if (prefix.length === 0 && key === "global") {
            // globals reach every chart of the package: the first key no chart declares or reads is ineffective
            const used = (sub: string[]) => globals.some((c) => templatesRead(c.templates, ["global", ...sub]) || hasPath(c.values, ["global", ...sub]));
            const walk = (x: unknown, p: string[]): string[] =>
                p.length > 0 && !used(p) ? [["global", ...p].join(".")] : isMap(x) && !(p.length > 0 && globals.some((c) => isFreeForm(c.values, ["global", ...p]))) ? Object.entries(x).flatMap(([k, y]) => walk(y, [...p, k])) : [];
            out.push(...walk(v, []));
            continue;
        }
        if (prefix.length === 0 && chart.subcharts.has(key)) {
            // a subchart's key: used by the subchart, or declared/read by the parent under that name
            const sub = chart.subcharts.get(key)!;
            const parentUses = (rel: string) => hasPath(defaults, [key, ...rel.split(".")]) || templatesRead(chart.templates, [key, ...rel.split(".")]);
            out.push(...ineffectiveKeys(sub, v, [], sub.values, allCharts(sub)).filter((k) => !parentUses(k)).map((k) => `${key}.${k}`));
            continue;
        }
        const d = isMap(defaults) ? (defaults as Record<string, unknown>)[key] : undefined;
        const declared = isMap(defaults) && key in defaults;
        if (declared && (d === null || (isMap(d) && Object.keys(d).length === 0) || Array.isArray(d) || !isMap(v))) continue;
        if (declared && isMap(d)) {
            out.push(...ineffectiveKeys({ ...chart, subcharts: new Map() }, v, p, d, globals));
            continue;
        }
        if (!templatesRead(chart.templates, p)) out.push(p.join("."));
    }
    return out;
}

/** A chart and every chart below it (globals reach them all). */
function allCharts(chart: ChartTree): ChartTree[] {
    return [chart, ...[...new Set(chart.subcharts.values())].flatMap(allCharts)];
}

function hasPath(v: unknown, p: string[]): boolean {
    let cur = v;
    for (const k of p) {
        if (!isMap(cur) || !(k in cur)) return false;
        cur = cur[k];
    }
    return true;
}

/** A declared value that takes any content: null, an empty map, a list. */
function isFreeForm(v: unknown, p: string[]): boolean {
    let cur = v;
    for (const k of p) {
        if (!isMap(cur) || !(k in cur)) return false;
        cur = cur[k];
    }
    return cur === null || (isMap(cur) && Object.keys(cur).length === 0) || Array.isArray(cur);
}

/** The ineffective keys of a release's values, with its cached chart. */
export function releaseIneffectiveKeys(release: Release, cache?: string): string[] {
    const tree = readPackage(chartTgz(release, cache));
    return ineffectiveKeys(tree, release.values);
}

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/*
 * What Renovate extracts from this repository, done as Renovate does it
 * (lib/modules/manager/custom/regex: each customManager's managerFilePatterns
 * pick the files, each matchString runs with the `g` flag over the whole
 * file, named groups fill the fields a `<field>Template` does not; the
 * helm-values manager: keys ending in `image`, as a string or as
 * repository + tag), and what the repository pins, found independently of
 * those patterns. Checked against Renovate 42.99.0's own `--dry-run=extract`
 * (docs/decisions.md).
 */

export interface RenovateConfig {
    ignorePaths?: string[];
    customManagers: CustomManager[];
    "helm-values"?: { managerFilePatterns?: string[] };
    packageRules: Record<string, unknown>[];
    [k: string]: unknown;
}

export interface CustomManager {
    customType: "regex";
    managerFilePatterns: string[];
    matchStrings: string[];
    matchStringsStrategy?: string;
    [k: string]: unknown;
}

export interface Dep {
    file: string;
    manager: string;
    depName?: string;
    packageName?: string;
    currentValue?: string;
    currentDigest?: string;
    datasource?: string;
    registryUrl?: string;
    versioning?: string;
    extractVersion?: string;
}

/** The fields a regex manager fills (lib/modules/manager/custom/utils.ts validMatchFields). */
const FIELDS = ["depName", "packageName", "currentValue", "currentDigest", "datasource", "versioning", "extractVersion", "registryUrl", "depType", "indentation"] as const;

/** config:recommended's :ignoreModulesAndTests. */
const IGNORED = /(^|\/)(node_modules|bower_components|vendor|examples|__tests__|test|tests|__fixtures__)\//;

/** The repository's files as Renovate sees them: tracked and new (not ignored) files, minus ignorePaths. */
export function repoFiles(root: string): Map<string, string> {
    const list = execFileSync("git", ["-C", root, "ls-files", "-co", "--exclude-standard"], { maxBuffer: 1 << 28 }).toString().split("\n");
    const files = new Map<string, string>();
    for (const f of list) {
        if (!f || IGNORED.test(f)) continue;
        const full = path.join(root, f);
        if (fs.existsSync(full) && fs.statSync(full).isFile()) files.set(f, fs.readFileSync(full, "utf8"));
    }
    return files;
}

/** A managerFilePatterns entry: `/regex/` or a glob (only regexes are used here). */
function filePattern(p: string): RegExp {
    const m = /^\/(.*)\/([a-z]*)$/.exec(p);
    if (!m) throw new Error(`managerFilePatterns entry ${p} is not a /regex/; the test reads regexes only`);
    return new RegExp(m[1], m[2]);
}

/** Handlebars `{{{name}}}` / `{{name}}` with the match's groups, as Renovate's template.compile. */
function compile(template: string, groups: Record<string, string | undefined>): string {
    return template.replace(/\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}\}/g, (_, name: string) => groups[name] ?? "");
}

/** What one regex manager extracts from one file (strategy `any`). */
export function regexExtract(manager: CustomManager, file: string, text: string, label = "regex"): Dep[] {
    if ((manager.matchStringsStrategy ?? "any") !== "any") throw new Error("only matchStringsStrategy any is emulated");
    const deps: Dep[] = [];
    for (const ms of manager.matchStrings) {
        const re = new RegExp(ms, "g");
        for (const m of text.matchAll(re)) {
            const groups = m.groups ?? {};
            const dep: Record<string, string | undefined> = {};
            for (const field of FIELDS) {
                const tmpl = manager[`${field}Template`];
                const value = typeof tmpl === "string" ? compile(tmpl, groups) : groups[field];
                if (value) dep[field] = field === "registryUrl" ? new URL(value).toString() : value;
            }
            if ((dep.depName || dep.packageName) && (dep.currentValue || dep.currentDigest) && dep.datasource) deps.push({ file, manager: label, ...dep });
        }
    }
    return deps;
}

/** helm-values: `*image: repo:tag` and `*image: { registry?, repository, tag | version }` anywhere in a YAML file. */
export function helmValuesExtract(file: string, text: string): Dep[] {
    const deps: Dep[] = [];
    const walk = (v: unknown) => {
        if (!v || typeof v !== "object") return;
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
            if (/image$/i.test(k) && typeof x === "string") deps.push({ file, manager: "helm-values", datasource: "docker", ...splitImage(x) });
            else if (/image$/i.test(k) && x && typeof x === "object" && "repository" in x && ("tag" in x || "version" in x)) {
                const o = x as { registry?: string; repository: string; tag?: unknown; version?: unknown };
                deps.push({ file, manager: "helm-values", datasource: "docker", depName: `${o.registry ? `${o.registry}/` : ""}${o.repository}`, currentValue: String(o.tag ?? o.version) });
            } else walk(x);
        }
    };
    for (const doc of YAML.parseAllDocuments(text)) walk(doc.toJS());
    return deps;
}

/** `registry/name:tag@sha256:…` → depName, currentValue, currentDigest. */
export function splitImage(ref: string): { depName: string; currentValue?: string; currentDigest?: string } {
    const [name, digest] = ref.split("@");
    const slash = name.lastIndexOf("/");
    const colon = name.indexOf(":", slash + 1);
    return { depName: colon < 0 ? name : name.slice(0, colon), ...(colon < 0 ? {} : { currentValue: name.slice(colon + 1) }), ...(digest ? { currentDigest: digest } : {}) };
}

/** Every dependency the custom managers and helm-values find in `files`. */
export function extractAll(config: RenovateConfig, files: Map<string, string>): Dep[] {
    const deps: Dep[] = [];
    config.customManagers.forEach((m, i) => {
        const patterns = m.managerFilePatterns.map(filePattern);
        for (const [file, text] of files) if (patterns.some((p) => p.test(file))) deps.push(...regexExtract(m, file, text, `custom[${i}]`));
    });
    const hv = [/(^|\/)values\.ya?ml$/, ...(config["helm-values"]?.managerFilePatterns ?? []).map(filePattern)];
    for (const [file, text] of files) if (hv.some((p) => p.test(file))) deps.push(...helmValuesExtract(file, text));
    return deps;
}

// ---------------------------------------------------------------------------
// What the repository pins, found without the managers' patterns
// ---------------------------------------------------------------------------

/** One pin a manager must find: in `file`, a dependency with this value (and name when known). */
export interface Pin {
    file: string;
    what: string;
    currentValue?: string;
    currentDigest?: string;
    /** depName, or the tail of packageName (`…/rabbitmq`). */
    name?: string;
}

/** Image-looking strings that are not images, each with why. */
export const NOT_IMAGES: Record<string, string> = {
    "llama3:8b": "an Ollama model (services.ollama.models), pulled by Ollama, not a container image",
};

/** Version constants deliberately left to a person, each with why. */
export const UNMANAGED_VERSIONS: Record<string, string> = {
    "components/k8s/labels.ts POD_SECURITY_VERSION": "the Pod Security standard namespaces enforce follows the cluster's minor, bumped by hand with a k3s minor (docs/operations.md)",
};

/** Facts about what charts run (the compatibility table), not pins. */
const FACTS = /^plan\/compat\//;
const CODE = /^(config|plan|components)\/.+\.ts$/;
const IMAGE_REF = /^((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]*[a-z][a-z0-9._-]*(?:\/[a-z0-9._-]+)*):([A-Za-z0-9_][A-Za-z0-9._-]*)(?:@(sha256:[a-f0-9]{64}))?$/;

/** An image reference with a tag that has a digit (`redis:7.4.9-alpine`), taken apart; undefined otherwise. */
export function imageLike(s: string): { name: string; tag: string; digest?: string } | undefined {
    const m = IMAGE_REF.exec(s);
    if (!m || !/\d/.test(m[2]) || NOT_IMAGES[s] !== undefined) return undefined;
    return { name: m[1], tag: m[2], digest: m[3] };
}

/** Pins written in code and scripts: version keys, *_VERSION constants, image strings, repository + tag pairs. */
export function codePins(files: Map<string, string>): Pin[] {
    const pins: Pin[] = [];
    for (const [file, text] of files) {
        if (FACTS.test(file)) continue;
        const ts = file.endsWith(".ts");
        if (ts && /^(config|plan)\//.test(file)) {
            for (const m of text.matchAll(/\b[a-zA-Z]*[vV]ersion:\s*(?:pinnedVersion\.default\()?"([^"]+)"/g)) pins.push({ file, what: `version literal ${m[0]}`, currentValue: m[1] });
        }
        if (ts && /^(config|plan|components|scripts)\//.test(file)) {
            for (const m of text.matchAll(/\bconst ([A-Z][A-Z0-9_]*VERSION)\s*=\s*"([^"]+)"/g)) {
                if (UNMANAGED_VERSIONS[`${file} ${m[1]}`] === undefined) pins.push({ file, what: `constant ${m[1]}`, currentValue: m[2] });
            }
        }
        if (ts && CODE.test(file)) {
            for (const m of text.matchAll(/"([^"\s]+)"/g)) {
                const img = imageLike(m[1]);
                if (img) pins.push({ file, what: `image ${m[1]}`, name: img.name, currentValue: img.tag, currentDigest: img.digest });
            }
            for (const m of text.matchAll(/repository:\s*"([^"]+)",\s*tag:\s*(?:"([^"]+)"|([A-Z][A-Z0-9_]*)\.([A-Za-z0-9_]+))/g)) {
                const tag = m[2] ?? new RegExp(`\\b${m[3]}\\s*=\\s*\\{[^}]*\\b${m[4]}:\\s*"([^"]+)"`).exec(text)?.[1];
                pins.push({ file, what: `image ${m[1]} (repository + tag)`, name: m[1], currentValue: tag ?? `<${m[3]}.${m[4]} not found>` });
            }
        }
        if (/^scripts\/.+\.sh$/.test(file) || file === ".ci/run") {
            for (const m of text.matchAll(/^[ \t]*(?:export\s+)?([A-Z][A-Z0-9_]*VERSION)=["']?([0-9v][^\s"'#]*)/gm)) pins.push({ file, what: `shell ${m[1]}`, currentValue: m[2] });
        }
    }
    return pins;
}

/** Pins in the stack files: k3sVersion and every image-looking string value. */
export function stackPins(files: Map<string, string>): Pin[] {
    const pins: Pin[] = [];
    for (const [file, text] of files) {
        if (!/^Pulumi\.[^/]+\.yaml$/.test(file)) continue;
        const doc = YAML.parse(text) as { config?: Record<string, unknown> };
        const walk = (v: unknown, at: string) => {
            if (typeof v === "string") {
                const img = imageLike(v);
                if (img) pins.push({ file, what: `image ${v} at ${at}`, name: img.name, currentValue: img.tag, currentDigest: img.digest });
            } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
        };
        walk(doc.config ?? {}, "");
        const k3s = (doc.config?.["picluster:cluster"] as { k3sVersion?: string } | undefined)?.k3sVersion;
        if (k3s) pins.push({ file, what: "cluster.k3sVersion", name: "k3s-io/k3s", currentValue: k3s });
    }
    return pins;
}

/** Whether a dependency is the pin. */
export function finds(dep: Dep, pin: Pin): boolean {
    if (dep.file !== pin.file) return false;
    if (pin.currentValue !== undefined && dep.currentValue !== pin.currentValue) return false;
    if (pin.currentDigest !== undefined && dep.currentDigest !== pin.currentDigest) return false;
    if (pin.name === undefined) return true;
    const norm = (n: string) => n.replace(/^(docker\.io|index\.docker\.io)\//, "").replace(/^library\//, "");
    return [dep.depName, dep.packageName].some((n) => n !== undefined && (norm(n) === norm(pin.name as string) || n.endsWith(`/${pin.name}`)));
}

/** The pins no dependency finds. */
export function unfound(deps: Dep[], pins: Pin[]): Pin[] {
    return pins.filter((p) => !deps.some((d) => finds(d, p)));
}

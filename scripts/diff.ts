/*
 * npm run diff -- <base-ref> [STACK...] [--no-charts] [--markdown]
 *
 * What a change does to the cluster, offline: renders every stack (default:
 * each Pulumi.<stack>.yaml of the head) at the base ref and at the working
 * tree — node scripts, the program's Kubernetes objects and Helm releases,
 * and, when helm and the chart cache are there, each release's chart
 * manifests — and prints a unified diff of the two renders. Secrets are
 * redacted in both. The base is `git archive <base-ref>` into a temporary
 * directory, rendered by this checkout's scripts/render.ts.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheDir, helmBin } from "./charts/cache";
import { crdLines } from "./charts/crds";
import { releasesOf } from "./charts/releases";
import { renderInChildAsync } from "./charts/stacks";
import { helpRequested } from "./lib/cli";

const USAGE = "usage: npm run diff -- <base-ref> [STACK...] [--no-charts] [--markdown]\n  e.g. npm run diff -- HEAD~1 or npm run diff -- origin/main pi\n";

const COMMENT_LIMIT = 60_000;

export interface DiffOptions {
    /** The checkout whose working tree is the head. */
    root: string;
    base: string;
    stacks?: string[];
    charts?: boolean;
    markdown?: boolean;
    /** Told what is being rendered and how long it took (npm run diff prints it on stderr). */
    progress?: (line: string) => void;
}

function stacksIn(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
}

/** Whether helm and a chart cache are there to render chart manifests. */
export function chartsAvailable(): boolean {
    if (!fs.existsSync(cacheDir())) return false;
    return spawnSync(helmBin(), ["version", "--short"], { stdio: "ignore" }).status === 0;
}

function writeTree(dir: string, files: Map<string, string>): void {
    for (const [file, text] of files) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    }
}

/** Renders base and head and returns the readable diff. */
export async function manifestDiff(opts: DiffOptions): Promise<string> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-diff-"));
    try {
        const baseRoot = path.join(work, "base-src");
        fs.mkdirSync(baseRoot);
        let tar: Buffer;
        try {
            tar = execFileSync("git", ["-C", opts.root, "archive", "--format=tar", opts.base], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
            throw new Error(`git archive ${opts.base} failed: ${((e as { stderr?: Buffer }).stderr ?? "").toString().trim()}; name a commit, branch or tag of ${opts.root}`);
        }
        execFileSync("tar", ["-x", "-C", baseRoot], { input: tar, maxBuffer: 1 << 30 });
        fs.symlinkSync(fs.realpathSync(path.join(opts.root, "node_modules")), path.join(baseRoot, "node_modules"));
        const script = path.join(opts.root, "scripts", "render.ts");
        const charts = opts.charts ?? chartsAvailable();
        const stacks = opts.stacks?.length ? opts.stacks : stacksIn(opts.root);
        const out: string[] = [];
        const title = `Rendered manifests: ${opts.base} → working tree (${stacks.join(", ")}${charts ? "; chart manifests included" : "; chart manifests NOT included: helm or the chart cache is missing"})`;
        out.push(opts.markdown ? `<!-- picluster-manifest-diff -->\n### ${title}\n` : `# ${title}\n`);
        for (const stack of stacks) {
            const started = Date.now();
            opts.progress?.(`diff: rendering ${stack} at ${opts.base} and in the working tree${charts ? ", chart manifests included" : ""}…`);
            const [head, base] = await Promise.all([
                renderInChildAsync(opts.root, stack, { manifests: charts }),
                fs.existsSync(path.join(baseRoot, `Pulumi.${stack}.yaml`)) ? renderInChildAsync(baseRoot, stack, { manifests: charts, script }) : Promise.resolve(new Map<string, string>()),
            ]);
            writeTree(path.join(work, "base", stack), base);
            writeTree(path.join(work, "head", stack), head);
            opts.progress?.(`diff: ${stack} rendered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
            fs.mkdirSync(path.join(work, "base", stack), { recursive: true });
            const args = ["diff", "--no-index", "--no-color", "--src-prefix=", "--dst-prefix=", "--", `base/${stack}`, `head/${stack}`];
            const names = spawnSync("git", [...args.slice(0, 4), "--name-status", ...args.slice(4)], { cwd: work, maxBuffer: 1 << 30 }).stdout.toString().trim();
            const patch = spawnSync("git", args, { cwd: work, maxBuffer: 1 << 30 }).stdout.toString();
            const changed = names ? names.split("\n").map((l) => l.replace(/\t(base|head)\/[^/]+\//g, "\t")) : [];
            // A chart bump whose CRDs change says so (crds/ are not in the rendered manifests).
            const crds = crdLines(releasesOf(base), releasesOf(head)).map((l) => `${opts.markdown ? "- " : ""}${l}\n`).join("");
            const summary = changed.length === 0 ? "no change" : `${changed.length} file(s) changed:\n${changed.map((l) => `  ${l.replace("\t", " ")}`).join("\n")}`;
            if (opts.markdown) {
                out.push(`#### ${stack}: ${changed.length === 0 ? "no change" : `${changed.length} file(s) changed`}\n`);
                if (crds) out.push(crds);
                if (changed.length > 0) out.push(`<details><summary>${changed.map((l) => `<code>${l.split("\t").pop()}</code>`).join(", ")}</summary>\n\n\`\`\`diff\n${patch}\`\`\`\n</details>\n`);
            } else {
                out.push(`## ${stack}: ${summary}\n`);
                if (crds) out.push(crds);
                if (patch) out.push(patch);
            }
        }
        const text = out.join("\n");
        // A GitHub comment holds 65,536 characters.
        if (opts.markdown && text.length > COMMENT_LIMIT) {
            return `${text.slice(0, COMMENT_LIMIT)}\n\`\`\`\n</details>\n\n… cut at ${COMMENT_LIMIT} characters; run \`npm run diff -- ${opts.base}\` locally for the whole diff.\n`;
        }
        return text;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const positional = argv.filter((a) => !a.startsWith("--"));
    if (positional.length < 1) {
        process.stderr.write(USAGE);
        return 2;
    }
    const [base, ...stacks] = positional;
    const text = await manifestDiff({ root: path.join(__dirname, ".."), base, stacks, charts: argv.includes("--no-charts") ? false : undefined, markdown: argv.includes("--markdown"), progress: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`diff failed: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(1);
        },
    );
}

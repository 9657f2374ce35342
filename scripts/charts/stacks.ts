/*
 * A stack rendered in a child process (the offline engine is one per
 * process), read back as files: what `npm run render -- <stack>` writes.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChartPin } from "./cache";
import { releasesOf } from "./releases";

/** Reads every file under `dir` into a map keyed by relative path. */
export function readTree(dir: string, prefix = ""): Map<string, string> {
    const files = new Map<string, string>();
    if (!fs.existsSync(dir)) return files;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) for (const [k, v] of readTree(path.join(dir, entry.name), rel)) files.set(k, v);
        else files.set(rel, fs.readFileSync(path.join(dir, entry.name), "utf8"));
    }
    return files;
}

/** Runs `scripts/render.ts` (of `root`, or `script`) for one stack of `root` into a temporary directory and returns its files. */
export function renderInChild(root: string, stack: string, opts: { manifests?: boolean; script?: string } = {}): Map<string, string> {
    const { cmd, args, out } = renderCommand(root, stack, opts);
    try {
        try {
            execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
        } catch (e) {
            throw renderError(root, stack, e);
        }
        return readTree(path.join(out, stack));
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/** renderInChild without blocking the event loop (test runners and `npm run diff` render several at once). */
export async function renderInChildAsync(root: string, stack: string, opts: { manifests?: boolean; script?: string } = {}): Promise<Map<string, string>> {
    const { cmd, args, out } = renderCommand(root, stack, opts);
    try {
        await new Promise<void>((resolve, reject) =>
            execFile(cmd, args, { cwd: root, maxBuffer: 1 << 30 }, (e, _stdout, stderr) => (e ? reject(renderError(root, stack, Object.assign(e, { stderr: Buffer.from(stderr) }))) : resolve())),
        );
        return readTree(path.join(out, stack));
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

function renderCommand(root: string, stack: string, opts: { manifests?: boolean; script?: string }): { cmd: string; args: string[]; out: string } {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-render-"));
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    const args = [opts.script ?? path.join(root, "scripts", "render.ts"), stack, "--root", root, "--out", out];
    if (opts.manifests) args.push("--manifests");
    return fs.existsSync(tsx) ? { cmd: tsx, args, out } : { cmd: "npx", args: ["tsx", ...args], out };
}

function renderError(root: string, stack: string, e: unknown): Error {
    const err = e as Error & { stderr?: Buffer };
    return new Error(`render of ${stack} in ${root} failed: ${err.stderr?.toString().trim() || err.message}`);
}

/** The charts a stack pins. */
export function stackPins(root: string, stack: string): ChartPin[] {
    return releasesOf(renderInChild(root, stack)).map(({ repo, chart, version }) => ({ repo, chart, version }));
}

/** Where the chart layer's own stacks live (stacks that exist to render charts no deployed stack pins). */
export function layerStacksDir(root: string): string {
    return path.join(root, "test", "charts", "stacks");
}

/** The chart layer's own stacks, by name. */
export function layerStacks(root: string): string[] {
    const dir = layerStacksDir(root);
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s);
}

/**
 * A temporary root holding the program (links to `root`'s) and one of the
 * chart layer's stack files, for renderInChild; the caller removes it.
 */
export function layerStackRoot(root: string, stack: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `picluster-layer-${stack}-`));
    for (const entry of ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json", "components", "stacks", "scripts", "policy", "node_modules"]) {
        if (fs.existsSync(path.join(root, entry))) fs.symlinkSync(path.join(root, entry), path.join(dir, entry));
    }
    fs.copyFileSync(path.join(layerStacksDir(root), `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    return dir;
}

/** The charts a chart-layer stack pins. */
export function layerStackPins(root: string, stack: string): ChartPin[] {
    const dir = layerStackRoot(root, stack);
    try {
        return stackPins(dir, stack);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiHome } from "./backend";

/*
 * Which Pulumi CLI runs. Inside npm scripts `node_modules/.bin` comes first
 * on PATH, and its `pulumi` (the npm package's launcher) ignores a CLI the
 * user installed and, offline, says only `pulumi: fetch failed`. So the
 * launcher is skipped; the first CLI that reports the pinned version is
 * used, from (in order): PATH, ~/.pulumi/bin (the official installer),
 * ~/.pulumi/versions/<pin>/bin (the npm package's cache), this project's
 * toolchain build. Only when none does, the npm package installs the pinned
 * CLI (online). Every miss is named.
 */

export interface Cli {
    path: string;
    version: string;
    /** Where it was found, as shown. */
    from: string;
}

export interface Candidate {
    path: string;
    from: string;
}

export interface Miss extends Candidate {
    why: string;
}

/** The CLI version the project pins: package.json's `pulumi` (devDependency), which must equal `@pulumi/pulumi`. */
export function pinnedCliVersion(root: string): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const cli = pkg.devDependencies?.pulumi;
    const sdk = pkg.dependencies?.["@pulumi/pulumi"];
    if (!cli || !/^\d+\.\d+\.\d+$/.test(cli)) throw new Error(`package.json pins no exact version of the \`pulumi\` CLI package (devDependencies.pulumi = ${JSON.stringify(cli)})`);
    if (sdk !== cli) throw new Error(`package.json pins the CLI (\`pulumi\` ${cli}) and the SDK (\`@pulumi/pulumi\` ${sdk}) at different versions; pin both to one`);
    return cli;
}

/** True for the `pulumi` npm package's launcher (node_modules/.bin/pulumi → pulumi/run.js). */
export function isNpmLauncher(file: string): boolean {
    try {
        const real = fs.realpathSync(file);
        return real.endsWith(path.join("node_modules", "pulumi", "run.js")) || path.basename(path.dirname(file)) === ".bin";
    } catch {
        return false;
    }
}

const tilde = (p: string, home: string) => (p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p);

/** Every place a CLI may be, in the order they are tried (duplicates by real path dropped). */
export function cliCandidates(env: NodeJS.ProcessEnv, pin: string, home = os.homedir()): Candidate[] {
    const out: Candidate[] = [];
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const file = path.join(dir, "pulumi");
        if (fs.existsSync(file) && !isNpmLauncher(file)) out.push({ path: file, from: "PATH" });
    }
    const ph = pulumiHome(env, home);
    out.push({ path: path.join(ph, "bin", "pulumi"), from: `${tilde(path.join(ph, "bin"), home)}, the official installer's` });
    out.push({ path: path.join(ph, "versions", pin, "bin", "pulumi"), from: `${tilde(path.join(ph, "versions", pin, "bin"), home)}, the pulumi npm package's cache` });
    const toolchain = env.PICLUSTER_TOOLCHAIN_DIR || path.join(home, ".cache", "picluster-toolchain");
    out.push({ path: path.join(toolchain, `pulumi-v${pin}`, "bin", "pulumi"), from: "scripts/toolchain.sh's build" });
    const seen = new Set<string>();
    return out.filter((c) => {
        let key = c.path;
        try {
            key = fs.realpathSync(c.path);
        } catch {
            /* absent: kept, named as absent */
        }
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/** `pulumi version` of a binary: "v3.259.0", or undefined when it does not run. */
export function cliVersion(file: string): string | undefined {
    if (!fs.existsSync(file)) return undefined;
    const r = spawnSync(file, ["version"], { encoding: "utf8", timeout: 20_000, env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "1" } });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The first candidate that reports `v<pin>`, and why each one before it was passed over. */
export function findCli(candidates: Candidate[], pin: string, versionOf: (file: string) => string | undefined = cliVersion): { cli?: Cli; missed: Miss[] } {
    const missed: Miss[] = [];
    for (const c of candidates) {
        if (!fs.existsSync(c.path)) {
            missed.push({ ...c, why: "not there" });
            continue;
        }
        const v = versionOf(c.path);
        if (v === `v${pin}`) return { cli: { path: c.path, version: v, from: c.from }, missed };
        missed.push({ ...c, why: v ? `reports ${v}, not v${pin}` : "does not run (`pulumi version` failed)" });
    }
    return { missed };
}

/** What to say when no CLI at the pin can be had: each place tried, what the download said, how to get one. */
export function noCliMessage(pin: string, missed: Miss[], download: string | undefined, home = os.homedir()): string {
    return [
        `pulumi: no Pulumi CLI v${pin} (the version package.json pins) could be found or installed. Tried:`,
        ...missed.map((m) => `  - ${tilde(m.path, home)} (${m.from}): ${m.why}`),
        ...(download ? [`  - the pulumi npm package's installer: ${download}`] : []),
        "Get one of these:",
        `  - build it from its Go module (needs Go, reaches only the Go module proxy): scripts/toolchain.sh pulumi`,
        `  - install it: curl -fsSL https://get.pulumi.com | sh -s -- --version ${pin}   (into ~/.pulumi/bin)`,
        `  - or put a pulumi that reports v${pin} first on PATH. docs/toolchain.md has the details.`,
    ].join("\n");
}

/**
 * The pinned CLI through the `pulumi` npm package's own installer (it runs
 * get.pulumi.com's install script into ~/.pulumi/versions/<pin>). Returns
 * the binary, or why it failed.
 */
export async function installWithNpmPackage(root: string, pin: string, env: NodeJS.ProcessEnv): Promise<{ path: string } | { why: string }> {
    const resolver = path.join(root, "node_modules", "pulumi", "lib", "resolve.js");
    if (!fs.existsSync(resolver)) return { why: "node_modules/pulumi is not installed (npm ci)" };
    const target = path.join(pulumiHome(env), "versions", pin);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { resolve } = require(resolver) as { resolve(o: { version: string }): Promise<string> };
        return { path: await resolve({ version: pin }) };
    } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        return { why: `fetching https://get.pulumi.com/install.sh to install into ${target} failed: ${(e as Error).message}${cause ? ` (${cause})` : ""}` };
    }
}

/** The CLI to run: found at the pin, else installed by the npm package, else an Error naming every try. */
export async function resolveCli(root: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): Promise<Cli> {
    const pin = pinnedCliVersion(root);
    const { cli, missed } = findCli(cliCandidates(env, pin, home), pin);
    if (cli) return cli;
    // PICLUSTER_NO_CLI_INSTALL=1: never download (tests, air-gapped machines).
    const installed = env.PICLUSTER_NO_CLI_INSTALL === "1" ? { why: "not tried (PICLUSTER_NO_CLI_INSTALL=1)" } : await installWithNpmPackage(root, pin, env);
    if ("path" in installed) {
        const v = cliVersion(installed.path);
        if (v === `v${pin}`) return { path: installed.path, version: v, from: "installed now by the pulumi npm package" };
        throw new Error(noCliMessage(pin, missed, `installed ${installed.path}, which reports ${v ?? "nothing"}`, home));
    }
    throw new Error(noCliMessage(pin, missed, installed.why, home));
}

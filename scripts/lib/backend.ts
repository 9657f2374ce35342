import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

/*
 * Which Pulumi state every entry point uses (npm run dev, preview, deploy,
 * restore, state, the workflows): one choice, made here, in the Pulumi CLI's
 * own order, so `pulumi` typed by hand and `npm run …` agree:
 *
 *   1. PULUMI_BACKEND_URL;
 *   2. the project's `backend: url:` in Pulumi.yaml (a team's shared backend, committed);
 *   3. the CLI's current login (`pulumi login …`, `current` in credentials.json);
 *   4. the embedded default, a local file backend (EMBEDDED_BACKEND): a lone
 *      workstation with no cloud account.
 *
 * The choice is then exported as PULUMI_BACKEND_URL for the CLI it runs, and
 * named in one line with its source, the stack and the CLI.
 */

/** The embedded default: state on this workstation, no account. */
export const EMBEDDED_BACKEND = "file://~/.picluster/state";

export type BackendSource = "PULUMI_BACKEND_URL" | "Pulumi.yaml backend.url" | "pulumi login" | "embedded default";

export interface BackendChoice {
    /** The URL as given (`~` kept: Pulumi expands it). */
    url: string;
    source: BackendSource;
}

/** Where `pulumi login` keeps its current backend: $PULUMI_HOME/credentials.json. */
export function pulumiHome(env: NodeJS.ProcessEnv, home = os.homedir()): string {
    return env.PULUMI_HOME || path.join(home, ".pulumi");
}

/** The project's `backend: url:` from Pulumi.yaml, if any. */
export function projectBackendUrl(root: string): string | undefined {
    const file = path.join(root, "Pulumi.yaml");
    if (!fs.existsSync(file)) return undefined;
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { backend?: { url?: unknown } } | null;
    const url = doc?.backend?.url;
    return typeof url === "string" && url.trim() !== "" ? url.trim() : undefined;
}

/** The CLI's current login (`current` in credentials.json), if any. */
export function loggedInUrl(env: NodeJS.ProcessEnv, home = os.homedir()): string | undefined {
    const file = path.join(pulumiHome(env, home), "credentials.json");
    try {
        const current = (JSON.parse(fs.readFileSync(file, "utf8")) as { current?: unknown }).current;
        return typeof current === "string" && current !== "" ? current : undefined;
    } catch {
        return undefined;
    }
}

/** The backend the CLI would use, in its own order, with the embedded default last. */
export function chooseBackend(inputs: { env?: string; project?: string; login?: string }): BackendChoice {
    if (inputs.env) return { url: inputs.env, source: "PULUMI_BACKEND_URL" };
    if (inputs.project) return { url: inputs.project, source: "Pulumi.yaml backend.url" };
    if (inputs.login) return { url: inputs.login, source: "pulumi login" };
    return { url: EMBEDDED_BACKEND, source: "embedded default" };
}

/** The backend of this checkout and environment. */
export function resolveBackend(root: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): BackendChoice {
    return chooseBackend({ env: env.PULUMI_BACKEND_URL || undefined, project: projectBackendUrl(root), login: loggedInUrl(env, home) });
}

/** `file://~/x` → the absolute directory; undefined for other schemes. */
export function fileBackendDir(url: string, home = os.homedir()): string | undefined {
    if (!url.startsWith("file://")) return undefined;
    const p = url.slice("file://".length).split("?")[0];
    return p === "~" ? home : p.startsWith("~/") ? path.join(home, p.slice(2)) : path.resolve(p);
}

/** A backend URL as shown: the file path made absolute, credentials in the URL masked. */
export function shownBackend(url: string, home = os.homedir()): string {
    const dir = fileBackendDir(url, home);
    if (dir) return `file://${dir}`;
    return url.replace(/\/\/[^/@]*@/, "//****@");
}

/*
 * The passphrase of the passphrase secrets provider. Never a published one:
 * PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when set, else a
 * random passphrase made once into ~/.picluster/passphrase (0600), used
 * through PULUMI_CONFIG_PASSPHRASE_FILE.
 */
export interface Passphrase {
    /** Variables to set for the CLI (none when the user set one). */
    env: Record<string, string>;
    /** Where it comes from, as shown in the one line. */
    shown: string;
    /** True when the file was made now. */
    generated: boolean;
}

export const PASSPHRASE_FILE = (home = os.homedir()) => path.join(home, ".picluster", "passphrase");

export function ensurePassphrase(env: NodeJS.ProcessEnv, home = os.homedir()): Passphrase {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { env: {}, shown: "passphrase from PULUMI_CONFIG_PASSPHRASE", generated: false };
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { env: {}, shown: `passphrase from ${env.PULUMI_CONFIG_PASSPHRASE_FILE} (PULUMI_CONFIG_PASSPHRASE_FILE)`, generated: false };
    const file = PASSPHRASE_FILE(home);
    let generated = false;
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        // 32 random bytes; `wx` never overwrites one made meanwhile.
        try {
            fs.writeFileSync(file, `${crypto.randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
            generated = true;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
    }
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
        throw new Error(`${file} is readable by others (mode ${mode.toString(8)}); it holds the passphrase of your stacks' secrets: chmod 600 ${file}`);
    }
    return { env: { PULUMI_CONFIG_PASSPHRASE_FILE: file }, shown: `passphrase from ${file}`, generated };
}

/*
 * The stack. Entry points name it (`--stack`); without one, `dev`. The
 * commands that act on a stack get `--stack` added, so the line names the
 * stack the CLI really uses.
 */
export const DEFAULT_STACK = "dev";

/** Top-level commands that take `--stack`. */
const STACK_COMMANDS = new Set(["preview", "up", "update", "destroy", "refresh", "import", "cancel", "config", "stack", "logs", "watch", "console", "about", "state"]);

/** The stack named on a command line (`--stack X`, `--stack=X`, `-s X`), if any. */
export function stackArg(args: string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--") break;
        if ((a === "--stack" || a === "-s") && i + 1 < args.length) return args[i + 1];
        if (a.startsWith("--stack=")) return a.slice("--stack=".length);
    }
    return undefined;
}

/** Whether the command these args run acts on a stack (`state move` names its own two). */
export function takesStack(args: string[]): boolean {
    const words = args.filter((a) => !a.startsWith("-"));
    if (!STACK_COMMANDS.has(words[0] ?? "")) return false;
    if (words[0] === "state") return words[1] !== undefined && words[1] !== "move";
    if (words[0] === "stack") return words[1] !== "ls";
    return true;
}

/** The args with `--stack <stack>` added where the command takes one and none is named; and that stack. */
export function withStack(args: string[], fallback = DEFAULT_STACK): { args: string[]; stack?: string } {
    if (!takesStack(args)) return { args };
    const named = stackArg(args);
    if (named) return { args, stack: named };
    // `stack init|select|rm NAME`: the name is the stack.
    if (args[0] === "stack" && ["init", "select", "rm"].includes(args[1]) && args[2] !== undefined && !args[2].startsWith("-")) return { args, stack: args[2] };
    const end = args.indexOf("--");
    return end >= 0 ? { args: [...args.slice(0, end), "--stack", fallback, ...args.slice(end)], stack: fallback } : { args: [...args, "--stack", fallback], stack: fallback };
}

/** The one line every entry point prints before it runs the CLI. */
export function describeRun(opts: { backend: BackendChoice; stack?: string; cli: { path: string; version: string }; passphrase?: string; home?: string }): string {
    const parts = [`stack ${opts.stack ?? "(none)"}`, `backend ${shownBackend(opts.backend.url, opts.home)} (${opts.backend.source})`, `CLI ${opts.cli.path} ${opts.cli.version}`];
    if (opts.passphrase) parts.push(opts.passphrase);
    return `pulumi: ${parts.join(" · ")}`;
}

/** Said once, when the passphrase file was made. */
export const generatedNote = (file: string) => `pulumi: generated a random passphrase into ${file} (0600); keep a copy: it decrypts this state's secrets, and a second person or CI needs the same one`;

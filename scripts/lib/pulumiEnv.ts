import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BackendChoice, describeRun, generatedNote, ensurePassphrase, fileBackendDir, Passphrase, resolveBackend, withStack } from "./backend";
import { Cli, resolveCli } from "./pulumiCli";

/** Everything an entry point needs to run the Pulumi CLI on the chosen state. */
export interface PulumiRun {
    cli: Cli;
    backend: BackendChoice;
    passphrase: Passphrase;
    /** The environment to run the CLI in: the backend, the passphrase, the CLI's directory first on PATH. */
    env: NodeJS.ProcessEnv;
}

/** Resolves the backend, the passphrase and the CLI once (see backend.ts and pulumiCli.ts). */
export async function preparePulumi(root: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): Promise<PulumiRun> {
    const backend = resolveBackend(root, env, home);
    // A CI runner's own directory would be a second, throw-away state of the same stacks.
    if (backend.source === "embedded default" && env.GITHUB_ACTIONS === "true") {
        throw new Error("pulumi: no backend chosen, and CI has no state of its own: commit `backend: url:` in Pulumi.yaml or set the PULUMI_BACKEND_URL secret (docs/ci.md)");
    }
    const dir = fileBackendDir(backend.url, home);
    // First: it makes ~/.picluster 0700 when it is new.
    const passphrase = ensurePassphrase(env, home);
    // The embedded default's directory is made on first use; a chosen one must exist.
    if (dir && backend.source === "embedded default") fs.mkdirSync(dir, { recursive: true });
    const cli = await resolveCli(root, env, home);
    const runEnv: NodeJS.ProcessEnv = {
        ...env,
        ...passphrase.env,
        // Absolute for a file backend: the same string in the CLI, the owner record and the line.
        PULUMI_BACKEND_URL: dir ? `file://${dir}` : backend.url,
        PULUMI_SKIP_UPDATE_CHECK: env.PULUMI_SKIP_UPDATE_CHECK ?? "1",
        // The language host and plugins beside the CLI are found first (as the npm launcher does).
        PATH: [path.dirname(cli.path), env.PATH ?? ""].join(path.delimiter),
    };
    return { cli, backend, passphrase, env: runEnv };
}

/** The one line naming the stack, the backend and where it was chosen, the CLI and the passphrase's source. */
export function runLine(run: PulumiRun, stack: string | undefined, home = os.homedir()): string {
    const line = describeRun({ backend: run.backend, stack, cli: run.cli, passphrase: run.passphrase.shown, home });
    const file = run.passphrase.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    return run.passphrase.generated && file ? `${line}\n${generatedNote(file)}` : line;
}

/** Args with the stack added where the command takes one; the line for them. */
export function planArgs(run: PulumiRun, args: string[], fallbackStack?: string): { args: string[]; line: string; stack?: string } {
    const r = withStack(args, fallbackStack);
    return { ...r, line: runLine(run, r.stack) };
}

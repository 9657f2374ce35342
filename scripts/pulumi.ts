/*
 * bash scripts/pulumi.sh <pulumi args…>      (npm run pulumi -- <args…>)
 * bash scripts/pulumi.sh --env [--stack S]   `export …` lines for a shell: eval "$(…)"
 *
 * The one way into the Pulumi CLI for every entry point (npm run dev,
 * preview, deploy, restore, state, the workflows): it chooses the backend
 * (scripts/lib/backend.ts: PULUMI_BACKEND_URL, Pulumi.yaml backend.url,
 * `pulumi login`, else the embedded local default), the passphrase (never a
 * published one) and the CLI at the pinned version (scripts/lib/pulumiCli.ts),
 * adds `--stack dev` to a stack command that names none, prints one line
 * naming all of them, and runs the CLI. Exit code: the CLI's; 1 when no CLI
 * at the pin can be had (the message names every place tried).
 */
import { spawn } from "child_process";
import * as path from "path";
import { planArgs, preparePulumi, PulumiRun, runLine } from "./lib/pulumiEnv";
import { DEFAULT_STACK, stackArg } from "./lib/backend";
import { movedAway, projectName } from "./lib/stateMigrate";

const ROOT = path.join(__dirname, "..");
const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** `export` lines for a shell that runs the CLI itself (scripts/dev.sh, the workflows). */
function exportLines(run: PulumiRun): string {
    const vars: Record<string, string | undefined> = {
        PULUMI_BACKEND_URL: run.env.PULUMI_BACKEND_URL,
        PULUMI_CONFIG_PASSPHRASE_FILE: run.passphrase.env.PULUMI_CONFIG_PASSPHRASE_FILE,
        PULUMI_SKIP_UPDATE_CHECK: run.env.PULUMI_SKIP_UPDATE_CHECK,
        PATH: run.env.PATH,
        PICLUSTER_PULUMI: run.cli.path,
    };
    return Object.entries(vars)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `export ${k}=${quote(v as string)}\n`)
        .join("");
}

async function main(argv: string[]): Promise<number> {
    let run: PulumiRun;
    try {
        run = await preparePulumi(ROOT);
    } catch (e) {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
    }
    if (argv[0] === "--env") {
        const stack = stackArg(argv) ?? DEFAULT_STACK;
        process.stderr.write(`${runLine(run, stack)}\n`);
        const moved = movedAway(run.env.PULUMI_BACKEND_URL as string, projectName(ROOT), stack);
        if (moved) {
            process.stderr.write(`${moved}\n`);
            return 1;
        }
        process.stdout.write(exportLines(run));
        return 0;
    }
    const { args, line, stack } = planArgs(run, argv);
    process.stderr.write(`${line}\n`);
    const moved = stack ? movedAway(run.env.PULUMI_BACKEND_URL as string, projectName(ROOT), stack) : undefined;
    if (moved) {
        process.stderr.write(`${moved}\n`);
        return 1;
    }
    const child = spawn(run.cli.path, args, { cwd: ROOT, env: run.env, stdio: "inherit" });
    // Ctrl-C reaches the CLI too (same process group): let it cancel cleanly and report.
    process.on("SIGINT", () => undefined);
    process.on("SIGTERM", () => child.kill("SIGTERM"));
    return new Promise((resolve) => {
        child.on("error", (e) => {
            process.stderr.write(`pulumi: could not start ${run.cli.path}: ${e.message}\n`);
            resolve(1);
        });
        child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : 143)));
    });
}

main(process.argv.slice(2)).then((code) => process.exit(code));

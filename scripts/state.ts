/*
 * npm run state                                   where the state is: one line, then the stacks there
 * npm run state -- migrate --to URL [--stack dev] move a stack to another backend (a shared one)
 *
 *   npm run state -- migrate --to 's3://picluster-state?endpoint=http://nas.lan:9000&s3ForcePathStyle=true&region=us-east-1'
 *
 * migrate keeps the stack's resources, secrets (same passphrase provider and
 * passphrase), config and update history (scripts/lib/stateMigrate.ts), and
 * retires the old copy so no second state of the stack is started there.
 * The target is then chosen like any backend (docs/operations.md, "State and
 * environments"); this command does not choose it for you.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { helpRequested } from "./lib/cli";
import { preparePulumi, runLine } from "./lib/pulumiEnv";
import { migrateStack } from "./lib/stateMigrate";
import { DEFAULT_STACK, shownBackend } from "./lib/backend";

const USAGE = "usage: npm run state [-- migrate --to BACKEND_URL [--stack STACK]]\n  e.g. npm run state -- migrate --to 's3://picluster-state?endpoint=http://nas.lan:9000&s3ForcePathStyle=true&region=us-east-1'\n";
const ROOT = path.join(__dirname, "..");
const option = (argv: string[], name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const command = argv[0] ?? "where";
    const stack = option(argv, "--stack") ?? DEFAULT_STACK;
    const run = await preparePulumi(ROOT);
    process.stderr.write(`${runLine(run, stack)}\n`);
    if (command === "where") {
        return spawnSync(run.cli.path, ["stack", "ls"], { cwd: ROOT, env: run.env, stdio: "inherit" }).status ?? 1;
    }
    const to = option(argv, "--to");
    if (command !== "migrate" || !to) {
        process.stderr.write(USAGE);
        return 2;
    }
    const r = await migrateStack({ root: ROOT, run, stack, to, log: (l) => process.stdout.write(`${l}\n`) });
    const shown = shownBackend(to);
    process.stdout.write(
        [
            `moved stack ${stack}: ${r.resources} resources, ${r.history} updates of history copied; Pulumi.${stack}.yaml ${r.stackFile === "kept" ? "unchanged" : "rewritten by the CLI with the target's secrets settings: commit it"}.`,
            ...(r.retired ? [`the old copy is kept aside in ${r.retired}; this backend now refuses stack ${stack}.`] : []),
            `Now choose the new backend, one of:`,
            `  this workstation:          pulumi login '${shown}'`,
            `  everyone who clones, CI:   Pulumi.yaml  backend: { url: '${shown}' }`,
            `  this shell:                export PULUMI_BACKEND_URL='${shown}'`,
            `then \`npm run preview -- --stack ${stack}\` shows no changes.`,
        ].join("\n") + "\n",
    );
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        process.stderr.write(`state: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    },
);

/*
 * npm run drift -- [--stack dev] [--markdown FILE]
 *
 * `pulumi preview --refresh --expect-no-changes` on the stack (the backend
 * every entry point uses, scripts/pulumi.ts), with the drift named per node
 * (scripts/lib/driftReport.ts); --markdown also writes the report for a job
 * summary or an issue. Exit 0 no drift, 1 drift or a failed preview.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { helpRequested } from "./lib/cli";
import { DEFAULT_STACK } from "./lib/backend";
import { drifted, driftMarkdown, driftReport } from "./lib/driftReport";
import { preparePulumi, runLine } from "./lib/pulumiEnv";

const ROOT = path.join(__dirname, "..");
const option = (argv: string[], name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write("usage: npm run drift -- [--stack STACK] [--markdown FILE]\n");
        return 0;
    }
    const stack = option(argv, "--stack") ?? DEFAULT_STACK;
    const run = await preparePulumi(ROOT);
    const line = runLine(run, stack);
    process.stderr.write(`${line}\nreading every node and object of ${stack} (preview --refresh)…\n`);
    const r = spawnSync(run.cli.path, ["preview", "--refresh", "--expect-no-changes", "--json", "--stack", stack, "--policy-pack", "policy"], { cwd: ROOT, env: run.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    let report;
    try {
        report = driftReport(stack, r.stdout);
    } catch {
        report = { stack, nodes: {}, cluster: [], errors: [`pulumi preview exited ${r.status} without a JSON result:\n${(r.stderr || r.stdout).trim().split("\n").slice(-30).join("\n")}`] };
    }
    const md = driftMarkdown(report, line.replace(/^pulumi: /, ""));
    process.stdout.write(md);
    const file = option(argv, "--markdown");
    if (file) fs.writeFileSync(file, md);
    return drifted(report) || r.status !== 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));

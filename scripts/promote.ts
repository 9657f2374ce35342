/*
 * npm run promote -- <from> <to> [--write]
 *
 * Copies the pinned versions (k3s, charts, images) of Pulumi.<from>.yaml into
 * Pulumi.<to>.yaml, keeping the target's comments and secrets byte for byte.
 * Prints the change; writes only with --write. Exit code 1 when something
 * was refused (a pin only the target has is kept, not refused), 2 on a usage
 * error; `--help` prints this usage and does nothing else.
 */
import * as fs from "fs";
import * as path from "path";
import { blockingRefusals, promote } from "./lib/promote";

const USAGE = "usage: npm run promote -- <from-stack> <to-stack> [--write] [--root DIR]\n  e.g. npm run promote -- dev pi\n";

function main(argv: string[]): number {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(USAGE);
        return 0;
    }
    const write = argv.includes("--write");
    const rootArg = argv.indexOf("--root");
    const root = rootArg >= 0 ? argv[rootArg + 1] : path.join(__dirname, "..");
    const stacks = argv.filter((a, i) => !a.startsWith("--") && !(rootArg >= 0 && i === rootArg + 1));
    if (stacks.length !== 2) {
        process.stderr.write(USAGE);
        return 2;
    }
    const [from, to] = stacks;
    const fromFile = path.join(root, `Pulumi.${from}.yaml`);
    const toFile = path.join(root, `Pulumi.${to}.yaml`);
    for (const f of [fromFile, toFile]) {
        if (!fs.existsSync(f)) {
            process.stderr.write(`${f} does not exist\n`);
            return 2;
        }
    }
    const toText = fs.readFileSync(toFile, "utf8");
    const result = promote(fs.readFileSync(fromFile, "utf8"), toText, { fromStack: from, toStack: to });
    process.stdout.write(result.report);
    if (result.changes.length > 0) {
        if (write) {
            fs.writeFileSync(toFile, result.text);
            process.stdout.write(`\nWrote ${toFile}. Review it, then \`pulumi preview --stack ${to} --diff\`.\n`);
        } else {
            process.stdout.write(`\nDry run: nothing written. Re-run with --write to apply.\n`);
        }
    }
    return blockingRefusals(result.refusals).length > 0 || result.problems.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));

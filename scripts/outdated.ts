/*
 * npm run outdated -- [STACK...] [--online] [--timeout SECONDS]
 *
 * One table per stack (default: every Pulumi.<stack>.yaml) of every version
 * it pins: the k3s release, the default installer's commit, each chart (with
 * the key that pins it) and each image the plan runs or names; the newest
 * release, the newest of the same minor, and the support status
 * (plan/compat/images.ts). Offline (default) chart releases come from the
 * chart cache's indexes (npm run charts); images, k3s and the installer say
 * "unknown (offline)". --online asks the chart repositories, the registries
 * and GitHub, each source within --timeout (default 15 s); a source that does
 * not answer is reported as unreachable, never guessed.
 *
 * Exit status: 1 when a pin is frozen or past its end of life, 2 when a stack
 * cannot be planned, else 0.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, loadConfig, secretsOf } from "../config/load";
import { objectSource } from "../config/source";
import { buildPlan } from "../plan/plan";
import { blocking, fillOffline, fillOnline, formatTable, pinRows } from "./lib/outdated";
import { OnlineSources } from "./lib/outdatedSources";
import { offlineValues } from "./lib/stackFile";

async function main(argv: string[]): Promise<number> {
    const root = path.join(__dirname, "..");
    const online = argv.includes("--online");
    const t = argv.indexOf("--timeout");
    const timeoutMs = t >= 0 ? Number(argv[t + 1]) * 1000 : 15_000;
    if (!(timeoutMs > 0)) {
        process.stderr.write("usage: npm run outdated -- [STACK...] [--online] [--timeout SECONDS]\n");
        return 2;
    }
    let stacks = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--timeout");
    if (stacks.length === 0) stacks = fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
    const sources = online ? new OnlineSources(undefined, timeoutMs) : undefined;
    let code = 0;
    for (const stack of stacks) {
        let rows;
        try {
            const { values, secretKeys } = offlineValues(root, stack);
            const source = objectSource(stack, values, secretKeys);
            rows = pinRows(buildPlan(loadConfig(source), secretsOf(source)));
        } catch (e) {
            const problems = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
            process.stderr.write(`${stack}: cannot be planned, so its pins are not listed:\n${problems.map((p) => `  - ${p}`).join("\n")}\n\n`);
            code = 2;
            continue;
        }
        rows = sources ? await fillOnline(rows, sources) : fillOffline(rows);
        process.stdout.write(`${formatTable(stack, rows, sources ? "online" : "offline")}\n\n`);
        if (code === 0 && rows.some(blocking)) code = 1;
    }
    return code;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        process.stderr.write(`outdated failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(2);
    },
);

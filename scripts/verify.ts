/*
 * npm run verify -- <stack> [--timeout SECONDS] [--kubeconfig FILE]
 *
 * Probes every enabled service of the stack from inside the cluster and
 * prints one table, a row per service with its state and the reason:
 * Ollama lists the configured models, Rocket.Chat's /api/info and
 * Grafana's /api/health answer, each database accepts its owner's Secret
 * (a one-shot psql pod), the agent hosts answer their Health RPC (their
 * readiness probe), catalog presets and apps answer their health paths.
 * HTTP goes through the API server's service proxy; the stack's kubeconfig
 * is read through the project's CLI entry (scripts/lib/pulumiEnv.ts), or
 * from FILE, and kept in memory. Exit 0 when every row is ok or skipped.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { httpsKubeApi, kubeConnection } from "../components/k8s/kubeApi";
import { helpRequested } from "./lib/cli";
import { preparePulumi, runLine } from "./lib/pulumiEnv";
import { formatTable, verifyChecks } from "./lib/verify";
import { runCheck } from "./lib/verifyProbes";
import { offlinePlan } from "./lib/offlinePlan";

const USAGE = "usage: npm run verify -- <stack> [--timeout SECONDS] [--kubeconfig FILE]\n  probes every enabled service from inside the cluster and prints one row per service\n";
const ROOT = path.join(__dirname, "..");

function option(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
}

async function kubeconfigOf(stack: string, file: string | undefined): Promise<string> {
    if (file) return fs.readFileSync(file, "utf8");
    const state = await preparePulumi(ROOT);
    process.stderr.write(`${runLine(state, stack)}\n`);
    const out = spawnSync(state.cli.path, ["stack", "output", "kubeconfig", "--show-secrets", "--stack", stack], { cwd: ROOT, env: state.env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    if (out.status !== 0 || !out.stdout.trim()) throw new Error(`could not read stack ${stack}'s kubeconfig output (is the stack up?): ${(out.stderr ?? "").trim().split("\n").at(-1) ?? ""}`);
    return out.stdout;
}

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const valued = new Set(["--timeout", "--kubeconfig"]);
    const stacks = argv.filter((a, i) => !a.startsWith("--") && !valued.has(argv[i - 1]));
    const timeoutSeconds = Number(option(argv, "--timeout") ?? 120);
    if (stacks.length !== 1 || !Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
        process.stderr.write(USAGE);
        return 2;
    }
    const [stack] = stacks;
    const planned = offlinePlan(ROOT, stack);
    if ("refusal" in planned) {
        process.stderr.write(`${planned.refusal}\n`);
        return 1;
    }
    const { plan } = planned;
    let api;
    try {
        api = httpsKubeApi(kubeConnection(await kubeconfigOf(stack, option(argv, "--kubeconfig"))));
    } catch (e) {
        process.stderr.write(`verify: ${(e as Error).message}\n`);
        return 1;
    }
    const rows = await Promise.all(verifyChecks(plan).map((c) => runCheck(api, c, { timeoutSeconds })));
    process.stdout.write(`${formatTable(rows)}\n`);
    const bad = rows.filter((r) => r.state === "down").length;
    process.stdout.write(bad === 0 ? `${rows.length} checked: all answer\n` : `${bad} of ${rows.length} do not answer\n`);
    return bad === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
        process.stderr.write(`verify: ${e.message}\n`);
        process.exit(1);
    },
);

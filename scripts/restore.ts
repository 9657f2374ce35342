/*
 * npm run restore -- <etcd|postgres|mongodb> [--stack pi] [--at <ISO time>] [--dry-run] [--yes]
 *
 * Prints what it will do and asks before acting (`--yes` skips the question,
 * `--dry-run` only prints). SSH steps use your own ssh (agent, ~/.ssh/config);
 * kubectl steps the stack's admin kubeconfig from `pulumi stack output`, on
 * the backend every entry point uses (scripts/pulumi.ts; named in one line).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { loadConfig, secretsOf } from "../config/load";
import { offlineSource } from "./lib/stackFile";
import { buildPlan } from "../plan/plan";
import { formatRestorePlan, parseAt, pickSnapshot, RESTORE_KINDS, restorePlan, type RestoreKind, type RestoreStep } from "./lib/restore";
import { helpRequested } from "./lib/cli";
import { preparePulumi, runLine } from "./lib/pulumiEnv";

const USAGE = "usage: npm run restore -- <etcd|postgres|mongodb> [--stack STACK] [--at 2026-11-29T03:00:00Z] [--dry-run] [--yes]\n";

function option(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
}

function ask(question: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    return new Promise((resolve) => rl.question(question, (a) => (rl.close(), resolve(/^y(es)?$/i.test(a.trim())))));
}

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
    if (r.error || r.status !== 0) throw new Error(`${cmd} ${args[0] ?? ""} failed: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout;
}

/** Runs one step; secrets stay on stdin and in memory, never in argv or output. */
function execute(step: RestoreStep, env: NodeJS.ProcessEnv): void {
    if (step.kind === "manual") return void process.stdout.write(`   (yours to do) ${step.what}\n`);
    if (step.kind === "ssh") return void process.stdout.write(run("ssh", ["-p", String(step.port), `${step.user}@${step.host}`, "--", step.command]));
    if (step.kind === "kubectl") return void process.stdout.write(run("kubectl", step.args, { env, input: step.manifest ? JSON.stringify(step.manifest) : undefined }));
    const secret = JSON.parse(run("kubectl", ["-n", step.namespace, "get", "secret", step.secret, "-o", "json"], { env })) as { data?: Record<string, string>; metadata: Record<string, unknown> };
    const data = Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(Buffer.from(v, "base64").toString("utf8").split(step.fromHost).join(step.toHost)).toString("base64")]),
    );
    run("kubectl", ["apply", "-f", "-"], { env, input: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: step.secret, namespace: step.namespace }, data }) });
    process.stdout.write(run("kubectl", ["-n", step.namespace, "rollout", "restart", `deployment/${step.deployment}`], { env }));
}

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const kind = argv.find((a) => !a.startsWith("--") && a !== option(argv, "--stack") && a !== option(argv, "--at")) as RestoreKind | undefined;
    if (!kind || !(RESTORE_KINDS as readonly string[]).includes(kind)) {
        process.stderr.write(USAGE);
        return 2;
    }
    const stack = option(argv, "--stack") ?? "dev";
    const root = path.join(__dirname, "..");
    let plan;
    try {
        const at = parseAt(option(argv, "--at"));
        const source = offlineSource(root, stack);
        const stackPlan = buildPlan(loadConfig(source), secretsOf(source));
        plan = restorePlan(kind, stackPlan, at, new Date());
        if (kind === "etcd" && !argv.includes("--dry-run")) {
            // Pick the snapshot on the first server (k3s lists S3 with the config.yaml credentials).
            const first = plan.steps.find((s) => s.kind === "ssh");
            if (first?.kind !== "ssh") throw new Error("no server to restore on");
            const ls = run("ssh", ["-p", String(first.port), `${first.user}@${first.host}`, "--", "sudo k3s etcd-snapshot ls"]);
            const snapshot = pickSnapshot(ls, at);
            if (!snapshot) throw new Error(`no S3 snapshot ${at ? `at or before ${at.toISOString()} ` : ""}in \`k3s etcd-snapshot ls\` on ${first.node}`);
            plan = { ...plan, steps: plan.steps.map((s) => (s.kind === "ssh" ? { ...s, command: s.command.replace(/<newest S3 snapshot[^>]*>/, snapshot), what: s.what.replace(/<newest S3 snapshot[^>]*>/, snapshot) } : s)) };
        }
    } catch (e) {
        // ConfigError, CapacityError, DiskCapacityError, a bad --at, no backup target, a failed ssh: one message each.
        if (e instanceof Error) {
            process.stderr.write(`${e.message}\n`);
            return 1;
        }
        throw e;
    }
    process.stdout.write(`${formatRestorePlan(plan)}\n\n`);
    if (argv.includes("--dry-run")) return 0;
    if (!argv.includes("--yes") && !(await ask(`Run these ${plan.steps.length} steps against stack ${stack}? [y/N] `))) {
        process.stdout.write("nothing was changed\n");
        return 1;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-restore-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    try {
        const state = await preparePulumi(root);
        process.stderr.write(`${runLine(state, stack)}\n`);
        fs.writeFileSync(kubeconfig, run(state.cli.path, ["stack", "output", "kubeconfig", "--show-secrets", "--stack", stack], { env: state.env }), { mode: 0o600 });
        const env = { ...process.env, KUBECONFIG: kubeconfig };
        for (const [i, step] of plan.steps.entries()) {
            process.stdout.write(`${i + 1}/${plan.steps.length} ${step.what}\n`);
            execute(step, env);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));

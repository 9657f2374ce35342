/*
 * npm run deploy -- <service> [--stack pi] [--dry-run] [-- <pulumi up flags>]
 *
 * The seeds' `cluster deploy <service>`: a targeted `pulumi up` of one
 * service's component (and so its children) plus whatever depends on it.
 * Valid names come from the stack's plan (Pulumi.<stack>.yaml, planned
 * offline); the component's URN from `pulumi stack export`. The backend,
 * passphrase and CLI are the ones every entry point uses (scripts/pulumi.ts),
 * named in one line first, also with --dry-run.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { deployCommand, deployTargets, findTargetUrns, resolveDeployTarget } from "./lib/deploy";
import { helpRequested } from "./lib/cli";
import { preparePulumi, PulumiRun, runLine } from "./lib/pulumiEnv";
import { offlinePlan } from "./lib/offlinePlan";

const USAGE = "usage: npm run deploy -- <service> [--stack STACK] [--dry-run] [-- <pulumi up flags>]\n  e.g. npm run deploy -- ollama --stack pi\n";

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const passAt = argv.indexOf("--");
    const own = passAt >= 0 ? argv.slice(0, passAt) : argv;
    const extra = passAt >= 0 ? argv.slice(passAt + 1) : [];
    const stackAt = own.indexOf("--stack");
    const stack = stackAt >= 0 ? own[stackAt + 1] : "dev";
    const dryRun = own.includes("--dry-run");
    const names = own.filter((a, i) => !a.startsWith("--") && !(stackAt >= 0 && i === stackAt + 1));
    const root = path.join(__dirname, "..");
    if (names.length !== 1 || !stack) {
        process.stderr.write(USAGE);
        return 2;
    }

    // The stack's plan, built offline (secrets as stand-ins): a stack that would not plan is not deployed.
    const planned = offlinePlan(root, stack);
    if ("refusal" in planned) {
        process.stderr.write(`${planned.refusal}\n`);
        return 1;
    }
    const { plan } = planned;
    const resolution = resolveDeployTarget(names[0], deployTargets(plan), stack);
    if (!resolution.ok) {
        process.stderr.write(`${resolution.message}\n`);
        return 2;
    }

    let run: PulumiRun;
    try {
        run = await preparePulumi(root);
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 1;
    }
    process.stderr.write(`${runLine(run, stack)}\n`);
    const exported = spawnSync(run.cli.path, ["stack", "export", "--stack", stack], { cwd: root, env: run.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (exported.error || exported.status !== 0) {
        process.stderr.write(`pulumi stack export --stack ${stack} failed: ${exported.error?.message ?? exported.stderr}\n`);
        return 1;
    }
    const urns = findTargetUrns(resolution.target, JSON.parse(exported.stdout));
    if (urns.length === 0) {
        process.stderr.write(`${names[0]} is not in the state of stack ${stack} yet; create it with a full \`npm run pulumi -- up --stack ${stack}\`\n`);
        return 1;
    }
    const args = deployCommand(stack, urns, extra);
    process.stdout.write(`pulumi ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(" ")}\n`);
    if (dryRun) return 0;
    const up = spawnSync(run.cli.path, args, { cwd: root, env: run.env, stdio: "inherit" });
    return up.status ?? 1;
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));

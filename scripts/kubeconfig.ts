/*
 * npm run kubeconfig -- <stack> [--use] [--kubeconfig FILE]
 *
 * Merges the stack's `kubeconfig` output (read through scripts/pulumi.sh,
 * which chooses the backend, the passphrase and the CLI) into your
 * kubeconfig: $KUBECONFIG's first file, else ~/.kube/config, or FILE. Its
 * cluster, user and context (named picluster-<stack>) are added or replaced
 * by name; every other entry stays; the file is written 0600. The current
 * context changes only with --use. The credential never reaches argv or
 * the terminal.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { helpRequested } from "./lib/cli";
import { kubeconfigPath, mergeKubeconfig, writePrivate } from "./lib/kubeconfigMerge";

const USAGE = "usage: npm run kubeconfig -- <stack> [--use] [--kubeconfig FILE]\n  merges the stack's context (picluster-<stack>) into your kubeconfig, 0600; --use makes it the current context\n";
const ROOT = path.join(__dirname, "..");

function main(argv: string[]): number {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const fileAt = argv.indexOf("--kubeconfig");
    const target = fileAt >= 0 ? argv[fileAt + 1] : kubeconfigPath();
    const stacks = argv.filter((a, i) => !a.startsWith("--") && (fileAt < 0 || i !== fileAt + 1));
    if (stacks.length !== 1 || !target) {
        process.stderr.write(USAGE);
        return 2;
    }
    const [stack] = stacks;
    // The stack's output through the project's one entry to the CLI; its one line (backend, CLI) goes to stderr.
    const out = spawnSync("bash", [path.join(ROOT, "scripts", "pulumi.sh"), "stack", "output", "kubeconfig", "--show-secrets", "--stack", stack], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["inherit", "pipe", "inherit"],
        maxBuffer: 16 * 1024 * 1024,
    });
    if (out.status !== 0 || !out.stdout.trim()) {
        process.stderr.write(`kubeconfig: could not read stack ${stack}'s kubeconfig output (is the stack up?)\n`);
        return 1;
    }
    const existing = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    const merged = mergeKubeconfig(existing, out.stdout, { use: argv.includes("--use") });
    writePrivate(target, merged.text);
    const shown = target.startsWith(os.homedir() + path.sep) ? `~${target.slice(os.homedir().length)}` : target;
    process.stdout.write(`${shown} (0600): ${merged.changes.join(", ")}; other entries kept\n`);
    process.stdout.write(
        merged.currentContext === merged.context
            ? `current context: ${merged.context}; try: kubectl get nodes\n`
            : `current context ${merged.currentContext ? `left at ${merged.currentContext}` : "not set"} (--use to switch); try: kubectl --context ${merged.context} get nodes\n`,
    );
    return 0;
}

process.exitCode = main(process.argv.slice(2));

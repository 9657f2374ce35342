import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { fileBackendDir, shownBackend } from "./backend";
import type { PulumiRun } from "./pulumiEnv";
import { credentialsFromEnv, parseS3Url, s3Exists, s3Put } from "./s3";

/*
 * Moving a stack from the backend in use (the local default, usually) to a
 * shared one, with what makes it the same stack:
 *  - the checkpoint, config and secrets: `pulumi stack migrate` (the pinned
 *    CLI's own command), keeping the passphrase provider; when the salt is
 *    unchanged (same passphrase), Pulumi.<stack>.yaml is put back byte for byte;
 *  - the update history, which the CLI does not move: its files copied
 *    (file:// and s3:// targets);
 *  - the old copy retired: a file source's stack moves under
 *    .pulumi/migrated/, with a marker that makes every entry point refuse to
 *    start a second state of it there.
 */

/** The project's name (Pulumi.yaml `name:`), which DIY backends use in their paths. */
export function projectName(root: string): string {
    const name = (YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name?: string }).name;
    if (!name) throw new Error(`${root}/Pulumi.yaml has no name`);
    return name;
}

/** Where a file backend keeps a stack's marker once it moved away. */
export const movedMarker = (dir: string, project: string, stack: string) => path.join(dir, ".pulumi", "migrated", project, `${stack}.moved.json`);

/** Why this stack must not be used on this file backend any more (it moved), or undefined. */
export function movedAway(backendUrl: string, project: string, stack: string, home = os.homedir()): string | undefined {
    const dir = fileBackendDir(backendUrl, home);
    if (!dir) return undefined;
    const marker = movedMarker(dir, project, stack);
    if (!fs.existsSync(marker) || fs.existsSync(path.join(dir, ".pulumi", "stacks", project, `${stack}.json`))) return undefined;
    const m = JSON.parse(fs.readFileSync(marker, "utf8")) as { to: string; at: string };
    return (
        `stack ${stack} moved from ${shownBackend(backendUrl, home)} to ${m.to} at ${m.at} (npm run state -- migrate); a second state of it here would fight the moved one over the same cluster.\n` +
        `Choose that backend: \`pulumi login '${m.to}'\` (this workstation), \`backend: url:\` in Pulumi.yaml (everyone, CI too) or PULUMI_BACKEND_URL; or, to start a new ${stack} here on purpose, remove ${marker}`
    );
}

/** The history files of a stack in a file backend (without fileblob's .attrs sidecars). */
function historyFiles(dir: string, project: string, stack: string): string[] {
    const h = path.join(dir, ".pulumi", "history", project, stack);
    return fs.existsSync(h) ? fs.readdirSync(h).filter((f) => !f.endsWith(".attrs")).sort() : [];
}

function cli(run: PulumiRun, env: NodeJS.ProcessEnv, args: string[], root: string): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(run.cli.path, args, { cwd: root, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export interface MigrateResult {
    resources: number;
    history: number;
    stackFile: "kept" | "rewritten";
    retired?: string;
}

export async function migrateStack(o: { root: string; run: PulumiRun; stack: string; to: string; log: (line: string) => void; home?: string }): Promise<MigrateResult> {
    const { root, run, stack, log } = o;
    const home = o.home ?? os.homedir();
    const project = projectName(root);
    const from = run.env.PULUMI_BACKEND_URL as string;
    const toDir = fileBackendDir(o.to, home);
    const to = toDir ? `file://${toDir}` : o.to;
    if (shownBackend(to, home) === shownBackend(from, home)) throw new Error(`${shownBackend(to, home)} is already the backend in use; nothing to migrate`);
    const fromDir = fileBackendDir(from, home);
    const target = { ...run.env, PULUMI_BACKEND_URL: to };

    // Nothing may be running on the source stack while it moves.
    const locks = fromDir ? path.join(fromDir, ".pulumi", "locks", "organization", project, stack) : undefined;
    if (locks && fs.existsSync(locks) && fs.readdirSync(locks).some((f) => f.endsWith(".json"))) {
        throw new Error(`stack ${stack} is locked in ${shownBackend(from, home)} (an update is running, or one was killed: \`npm run pulumi -- cancel --stack ${stack}\`); nothing was moved`);
    }
    const history = fromDir ? historyFiles(fromDir, project, stack) : [];
    const s3 = to.startsWith("s3://") ? parseS3Url(to, run.env) : undefined;
    const creds = credentialsFromEnv(run.env);
    if (s3 && history.length > 0 && !creds) {
        throw new Error(`copying the stack's ${history.length} history files to ${to} needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (the bucket's key; profiles are not read for this copy); nothing was moved`);
    }
    if (toDir) fs.mkdirSync(toDir, { recursive: true });
    const sourceExport = cli(run, run.env, ["stack", "export", "--stack", stack], root);
    if (sourceExport.status !== 0) throw new Error(`stack ${stack} cannot be read from ${shownBackend(from, home)}: ${sourceExport.stderr.trim()}`);
    const resources = ((JSON.parse(sourceExport.stdout) as { deployment?: { resources?: unknown[] } }).deployment?.resources ?? []).length;

    // 1. Checkpoint, config and secrets, by the CLI.
    const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
    const before = fs.existsSync(stackFile) ? fs.readFileSync(stackFile, "utf8") : undefined;
    const backups = new Set(fs.readdirSync(root).filter((f) => f.startsWith(`Pulumi.${stack}.yaml.bak.`)));
    log(`moving stack ${stack} (${resources} resources) from ${shownBackend(from, home)} to ${shownBackend(to, home)} with \`pulumi stack migrate\``);
    const moved = spawnSync(run.cli.path, ["stack", "migrate", from, stack, "--secrets-provider", "passphrase", "--yes"], { cwd: root, env: target, stdio: ["ignore", "inherit", "inherit"] });
    if (moved.status !== 0) throw new Error(`pulumi stack migrate failed (exit ${moved.status}); the source stack is untouched`);
    const salt = (t?: string) => /^encryptionsalt: (.*)$/m.exec(t ?? "")?.[1];
    let kept: MigrateResult["stackFile"] = "rewritten";
    if (before !== undefined && salt(before) !== undefined && salt(before) === salt(fs.readFileSync(stackFile, "utf8"))) {
        // Same salt and passphrase: every `secure:` value in the old text still decrypts.
        fs.writeFileSync(stackFile, before);
        for (const f of fs.readdirSync(root)) if (f.startsWith(`Pulumi.${stack}.yaml.bak.`) && !backups.has(f)) fs.rmSync(path.join(root, f));
        kept = "kept";
    }

    // 2. The update history.
    let copied = 0;
    const rel = (f: string) => path.posix.join(".pulumi", "history", project, stack, f);
    for (const f of history) {
        const body = fs.readFileSync(path.join(fromDir as string, rel(f)));
        if (toDir) {
            fs.mkdirSync(path.dirname(path.join(toDir, rel(f))), { recursive: true });
            fs.writeFileSync(path.join(toDir, rel(f)), body);
        } else if (s3 && creds) {
            if (!(await s3Exists(s3, creds, rel(f)))) await s3Put(s3, creds, rel(f), body);
        } else continue;
        if (f.endsWith(".history.json")) copied++;
    }
    const updates = history.filter((f) => f.endsWith(".history.json")).length;
    if (updates > copied) log(`the ${history.length} history files stay in ${shownBackend(from, home)}/.pulumi/history (a ${to.split(":")[0]} backend takes no copied history)`);

    // 3. The moved stack answers as the old one did.
    const check = cli(run, target, ["stack", "export", "--stack", stack], root);
    const now = check.status === 0 ? ((JSON.parse(check.stdout) as { deployment?: { resources?: unknown[] } }).deployment?.resources ?? []).length : -1;
    if (now !== resources) throw new Error(`the moved stack has ${now} resources in ${shownBackend(to, home)}, the source ${resources}; the source is untouched, look before going on`);

    // 4. Retire the source copy (file backends): kept aside, and refused as a stack.
    let retired: string | undefined;
    if (fromDir) {
        const at = new Date().toISOString();
        const aside = path.join(fromDir, ".pulumi", "migrated", project, `${stack}-${at.replace(/[:.]/g, "")}`);
        fs.mkdirSync(aside, { recursive: true });
        for (const kind of ["stacks", "history", "backups"]) {
            const base = path.join(fromDir, ".pulumi", kind, project);
            if (!fs.existsSync(base)) continue;
            for (const f of fs.readdirSync(base).filter((n) => n === stack || n.startsWith(`${stack}.json`))) {
                fs.mkdirSync(path.join(aside, kind), { recursive: true });
                fs.renameSync(path.join(base, f), path.join(aside, kind, f));
            }
        }
        fs.writeFileSync(movedMarker(fromDir, project, stack), `${JSON.stringify({ to: shownBackend(to, home), at, aside }, null, 2)}\n`);
        retired = aside;
    }
    return { resources, history: copied, stackFile: kept, retired };
}

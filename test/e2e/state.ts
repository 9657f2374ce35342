/*
 * npx tsx test/e2e/state.ts — one state for the whole journey, under the real
 * Pulumi CLI (the pinned build), with a real S3-compatible server (gofakes3,
 * in memory) on loopback:
 *
 *   a. `up` on the embedded default (a local file backend) through scripts/pulumi.sh;
 *   b. `npm run state -- migrate` to the S3 bucket: resources, secrets,
 *      config and history intact, the stack file unchanged, the old copy retired;
 *   c. the retired local copy is refused, naming where the stack went;
 *   d. on the bucket, a preview with no changes and the same secrets;
 *   e. two concurrent `up`s of the stack: one is refused by the backend's lock.
 *
 * The project is a tiny one (a @pulumi/random pet and password, a secret
 * config value, a wait while the lock is held) beside this checkout's
 * scripts/, so the entry points under test are the real ones. Exits 0 with
 * "state: SKIPPED: …" when the CLI, the language host, the random provider
 * or gofakes3 is missing (scripts/toolchain.sh builds them); never counted
 * as a pass then.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");
const TOOLCHAIN = path.join(REPO, "scripts", "toolchain.sh");
let passed = 0;
let failed = 0;

function check(ok: boolean, what: string, detail = ""): void {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok || !detail ? "" : `\n${detail.trimEnd().split("\n").slice(-25).join("\n")}`}`);
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutSeconds = 180): { code: number; out: string; seconds: number } {
    const t = Date.now();
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutSeconds * 1000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, seconds: (Date.now() - t) / 1000 };
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
        s.on("error", reject);
    });
}

/** The tiny project beside a copy of this checkout's scripts/ (the entry points under test). */
function project(dir: string): void {
    fs.cpSync(path.join(REPO, "scripts"), path.join(dir, "scripts"), { recursive: true });
    fs.copyFileSync(path.join(REPO, "package.json"), path.join(dir, "package.json"));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: statetest\nruntime: nodejs\nmain: program.js\n");
    fs.writeFileSync(
        path.join(dir, "program.js"),
        `const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const random = require("@pulumi/random");
const cfg = new pulumi.Config();
module.exports = (async () => {
    const hold = Number(cfg.get("holdSeconds") || "0");
    if (hold > 0 && process.env.STATE_TEST_STARTED) {
        fs.writeFileSync(process.env.STATE_TEST_STARTED, String(process.pid));
        await new Promise((r) => setTimeout(r, hold * 1000));
    }
    const pet = new random.RandomPet("pet", { length: 2 });
    const token = new random.RandomPassword("token", { length: 24, special: false });
    return { pet: pet.id, token: token.result, greeting: cfg.requireSecret("greeting"), hold };
})();
`,
    );
}

async function main(): Promise<number> {
    const need = sh("bash", [TOOLCHAIN, "--check", "pulumi", "language-nodejs", "provider-random", "gofakes3"], process.env, REPO);
    if (need.code !== 0) {
        console.log(`state: SKIPPED: the pinned Pulumi CLI, its language host, the random provider or gofakes3 is missing (scripts/toolchain.sh pulumi language-nodejs provider-random gofakes3; see docs/toolchain.md)\n${need.out.replace(/^/gm, "    ")}`);
        return 0;
    }
    const gofakes3 = sh("bash", [TOOLCHAIN, "--which", "gofakes3"], process.env, REPO).out.trim();
    const toolPath = /export PATH=(\S+):"\$PATH"/.exec(sh("bash", [TOOLCHAIN, "--env"], process.env, REPO).out)?.[1]?.replace(/^'|'$/g, "") ?? "";
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-state-"));
    const dir = path.join(work, "project");
    const home = path.join(work, "home");
    fs.mkdirSync(dir);
    fs.mkdirSync(home);
    project(dir);
    const port = await freePort();
    const s3 = spawn(gofakes3, ["-backend", "memory", "-host", `127.0.0.1:${port}`, "-initialbucket", "picluster-state", "-quiet"], { stdio: "ignore" });
    const bucket = `s3://picluster-state?endpoint=http://127.0.0.1:${port}&s3ForcePathStyle=true&region=us-east-1`;
    const base: NodeJS.ProcessEnv = {
        PATH: `${toolPath}:${process.env.PATH ?? ""}`,
        HOME: home,
        PULUMI_HOME: path.join(home, ".pulumi"),
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PICLUSTER_NO_CLI_INSTALL: "1",
        AWS_ACCESS_KEY_ID: "picluster-test",
        AWS_SECRET_ACCESS_KEY: "picluster-test-secret",
        AWS_REGION: "us-east-1",
        PULUMI_COPILOT: "false",
    };
    const onBucket = { ...base, PULUMI_BACKEND_URL: bucket };
    const pulumi = (args: string[], env = base, timeout = 180) => sh("bash", [path.join(dir, "scripts", "pulumi.sh"), ...args], env, dir, timeout);
    try {
        // a. The embedded default: a local file backend, a random passphrase.
        let r = pulumi(["stack", "init", "dev", "--secrets-provider", "passphrase"]);
        check(r.code === 0 && r.out.includes(`backend file://${home}/.picluster/state (embedded default)`), "a. stack init on the embedded default names it", r.out);
        r = pulumi(["config", "set", "--secret", "greeting", "hello from the file backend"]);
        check(r.code === 0, "a. a secret config value", r.out);
        r = pulumi(["up", "--yes", "--skip-preview"]);
        check(r.code === 0 && /\+ 3 created/.test(r.out), `a. up on the file backend (${r.seconds.toFixed(1)} s)`, r.out);
        r = pulumi(["up", "--yes", "--skip-preview", "--refresh"]);
        check(r.code === 0, "a. a second up (two updates in the history)", r.out);
        const before = pulumi(["stack", "output", "--show-secrets", "--json"]);
        const stackFile = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");

        // b. Migration to the bucket.
        r = sh("npx", ["--no-install", "tsx", path.join(dir, "scripts", "state.ts"), "migrate", "--to", bucket], base, dir, 300);
        check(r.code === 0 && /moved stack dev: 4 resources, 2 updates of history copied; Pulumi\.dev\.yaml unchanged/.test(r.out), `b. npm run state -- migrate to the S3 bucket (${r.seconds.toFixed(1)} s)`, r.out);
        check(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8") === stackFile, "b. Pulumi.dev.yaml is byte for byte the same (same salt and passphrase)");
        check(fs.readdirSync(dir).every((f) => !f.includes(".bak.")), "b. no stack-file backup is left in the project");

        // c. The retired local copy is refused, naming the bucket.
        r = pulumi(["preview"]);
        check(r.code === 1 && r.out.includes("stack dev moved from") && r.out.includes("127.0.0.1") && !/Previewing/.test(r.out), "c. the old local copy is refused, naming where the stack went", r.out);

        // d. On the bucket: no changes, the same secrets and history.
        r = pulumi(["preview", "--expect-no-changes"], onBucket);
        check(r.code === 0 && r.out.includes("(PULUMI_BACKEND_URL)") && /3 unchanged/.test(r.out), `d. preview on the bucket: no changes (${r.seconds.toFixed(1)} s)`, r.out);
        const after = pulumi(["stack", "output", "--show-secrets", "--json"], onBucket);
        check(after.code === 0 && JSON.stringify(JSON.parse(jsonOf(after.out))) === JSON.stringify(JSON.parse(jsonOf(before.out))), "d. the same outputs and secrets (the generated password, the config secret)", `${before.out}\n${after.out}`);
        const history = pulumi(["stack", "history", "--json"], onBucket);
        check(history.code === 0 && (JSON.parse(jsonOf(history.out)) as unknown[]).length === 2, "d. the two updates' history is there", history.out);

        // e. Two concurrent ups: the second is refused by the lock while the first holds it.
        pulumi(["config", "set", "holdSeconds", "12"], onBucket);
        const started = path.join(work, "started");
        const first = spawn("bash", [path.join(dir, "scripts", "pulumi.sh"), "up", "--yes", "--skip-preview"], { cwd: dir, env: { ...onBucket, STATE_TEST_STARTED: started } });
        let firstOut = "";
        first.stdout.on("data", (d) => (firstOut += d));
        first.stderr.on("data", (d) => (firstOut += d));
        const firstDone = new Promise<number>((res) => first.on("exit", (c) => res(c ?? 1)));
        const t0 = Date.now();
        while (!fs.existsSync(started) && Date.now() - t0 < 60_000) await new Promise((res) => setTimeout(res, 200));
        check(fs.existsSync(started), "e. the first up is running its program (it holds the lock)", firstOut);
        r = pulumi(["up", "--yes", "--skip-preview"], onBucket);
        check(r.code !== 0 && r.out.includes("the stack is currently locked by 1 lock(s)"), "e. the second up is refused by the lock", r.out);
        const code = await firstDone;
        check(code === 0, "e. the first up completes", firstOut);
        r = pulumi(["preview", "--expect-no-changes"], onBucket);
        check(r.code === 0, "e. and the stack previews no change after it", r.out);
    } finally {
        s3.kill();
        fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(`state: ${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
}

/** The JSON document in CLI output that also carries the one line and warnings. */
function jsonOf(out: string): string {
    const start = out.search(/^[[{]/m);
    const end = Math.max(out.lastIndexOf("}"), out.lastIndexOf("]"));
    return start >= 0 && end > start ? out.slice(start, end + 1) : "null";
}

main().then((c) => process.exit(c));

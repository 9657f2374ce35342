/**
 * The drift observation under the real Pulumi engine, without the rest of the
 * e2e toolchain: a one-resource program (`picluster:NodeObservation`) against
 * an ssh2 server on 127.0.0.1 that answers with a node report the test sets.
 * Needs only the pulumi CLI and its nodejs language host on PATH (or in
 * ~/.cache/picluster-toolchain/pulumi-v<version>/bin), and a dynamic-provider
 * launcher: the one beside the CLI, else this project's (scripts/).
 *
 *   npx tsx test/e2e/observation.ts
 *
 * Asserts: a no-op preview makes 0 SSH calls; `preview --refresh` exactly
 * one; drift shows as the node's repairs and changes nothing; `up --refresh`
 * runs the repair command once, the config on its stdin, and bumps the
 * repair generation; the state holds neither the key, the config nor the
 * config's hash in plain text, and the repair command once (the input); a
 * stack made under the default provider moves to the explicit
 * ObservationHost with nothing replaced and no SSH call.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { fakeSshNode, type Answer } from "../helpers/sshNode";
import { keyPair } from "../helpers/sshKeys";
import { REPO } from "./harness";

/** Runs a command without blocking this process, whose event loop serves the SSH node. */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? -1, out }));
    });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-observation-"));
const host = keyPair();
const client = keyPair();
const healthy = { version: "v1.33.5+k3s1", service: "k3s-agent", active: true, ready: "True", configSha256: "c0ffee", registriesSha256: "", machineId: "m-1" };
let report: Record<string, unknown> = healthy;
let calls = 0;
/** What the repair command read on its stdin, each time it ran. */
const repairStdin: string[] = [];

/** The node: the report for every command; the repair command's stdin is recorded. */
function answer(command: string, stdin: string): Answer {
    calls++;
    if (command === "reinstall-and-start") {
        repairStdin.push(stdin);
        return { code: 0 };
    }
    return { code: 0, stdout: `${JSON.stringify(report)}\n` };
}

/** The one-resource program; `explicitHost`: in an explicit ObservationHost provider, as picluster runs it (else the default provider, as before round 4). */
function program(port: number, explicitHost = false): string {
    return `import * as pulumi from "@pulumi/pulumi";
import { NodeObservation, ObservationHost } from ${JSON.stringify(path.join(REPO, "components/cluster/drift/nodeObservation"))};
const host = ${explicitHost ? 'new ObservationHost("observation-host")' : "undefined"};
const o = new NodeObservation("pi-1-observed", {
    node: "pi-1", k3sVersion: "v1.33.5+k3s1", configSha256: pulumi.secret("c0ffee"), command: "observe", repairs: [],
    repairCommand: "reinstall-and-start", repairConfig: pulumi.secret("token: T1"),
    connection: pulumi.secret({ host: "127.0.0.1", port: ${port}, user: "pi", privateKey: ${JSON.stringify(client.private)}, hostKey: ${JSON.stringify(host.public)} }),
    primary: pulumi.secret({ host: "127.0.0.1", port: ${port}, user: "pi", privateKey: ${JSON.stringify(client.private)}, hostKey: ${JSON.stringify(host.public)} }),
    forgetCommand: "forget-pi-1",
}, { provider: host });
export const generation = o.generation;
`;
}

function pulumiBin(): string {
    const cached = path.join(os.homedir(), ".cache", "picluster-toolchain", "pulumi-v3.259.0", "bin");
    return fs.existsSync(path.join(cached, "pulumi")) ? cached : "";
}

async function main(): Promise<number> {
    const node = await fakeSshNode({ hostPrivate: host.private, clientPublic: client.public }, answer);
    const port = node.port;
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: observation\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "package.json"), '{"name":"observation","main":"index.ts"}\n');
    fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.writeFileSync(path.join(dir, "index.ts"), program(port));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "state"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [pulumiBin(), process.env.PATH, path.join(REPO, "scripts")].filter(Boolean).join(":"),
        PULUMI_HOME: path.join(dir, "home"),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "observation",
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
    const pulumi = async (...args: string[]) => {
        const r = await runAsync("pulumi", ["--non-interactive", "--color=never", "-C", dir, ...args], env);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.out.slice(-2000)}`);
        return r.out;
    };
    const results: string[] = [];
    const expectCalls = (what: string, before: number, n: number) => {
        if (calls - before !== n) throw new Error(`${what}: ${calls - before} SSH calls, expected ${n}`);
        results.push(`${what}: ${n} SSH call(s)`);
    };
    try {
        await pulumi("stack", "init", "obs");
        let c = calls;
        await pulumi("up", "--yes", "--skip-preview");
        expectCalls("up (create)", c, 1);
        c = calls;
        await pulumi("preview", "--expect-no-changes");
        expectCalls("no-op preview", c, 0);
        c = calls;
        await pulumi("preview", "--refresh", "--expect-no-changes");
        expectCalls("preview --refresh, healthy", c, 1);
        report = { ...healthy, configSha256: "edited" };
        c = calls;
        const drift = await pulumi("preview", "--refresh", "--diff");
        expectCalls("preview --refresh, config edited", c, 1);
        if (!drift.includes("rewrite config.yaml: changed on the node") || !/1 to update/.test(drift)) throw new Error(`the preview does not show the repair:\n${drift}`);
        c = calls;
        await pulumi("up", "--refresh", "--yes", "--skip-preview");
        expectCalls("up --refresh (read; update: observe, repair)", c, 3);
        if (JSON.stringify(repairStdin) !== JSON.stringify(["token: T1"])) throw new Error(`the repair read ${JSON.stringify(repairStdin)} on stdin, expected the config once`);
        results.push("up --refresh: the repair ran once, the config on its stdin");
        const generation = (await pulumi("stack", "output", "generation")).trim();
        if (generation !== "1") throw new Error(`repair generation ${generation}, expected 1`);
        report = healthy;
        c = calls;
        await pulumi("preview", "--refresh", "--expect-no-changes");
        expectCalls("preview --refresh after the repair", c, 1);
        const state = await pulumi("stack", "export");
        const keyLine = client.private.split("\n")[1];
        if (state.includes(keyLine) || state.includes('"c0ffee"') || state.includes("token: T1")) {
            throw new Error("the state holds the key, the config or its hash in plain text");
        }
        results.push("state: key, config and config hash secret");
        // The repair command (a node's whole install script in a real stack): the input only.
        const copies = state.split('"reinstall-and-start"').length - 1;
        if (copies !== 1) throw new Error(`the state holds the repair command ${copies} times (expected 1: the input)`);
        results.push("state: repair command stored once, as the input");
        // A stack made before round 4 (default provider) moves to the explicit one: no replacement, no node call.
        fs.writeFileSync(path.join(dir, "index.ts"), program(port, true));
        c = calls;
        const moved = await pulumi("preview", "--diff");
        if (/replace/i.test(moved.split("Resources:")[1] ?? moved)) throw new Error(`moving to ObservationHost replaces something:\n${moved}`);
        await pulumi("up", "--yes", "--skip-preview");
        await pulumi("preview", "--expect-no-changes");
        expectCalls("existing stack moved to ObservationHost (preview, up, preview): nothing replaced", c, 0);
        const after = await pulumi("stack", "export");
        if (!after.includes("pulumi:providers:pulumi-nodejs::observation-host") || after.includes("pulumi:providers:pulumi-nodejs::default")) {
            throw new Error("after the move the state does not name the explicit provider alone");
        }
        console.log(results.map((r) => `PASS ${r}`).join("\n"));
        return 0;
    } catch (e) {
        console.log(results.map((r) => `PASS ${r}`).join("\n"));
        console.log(`FAIL ${e instanceof Error ? e.message : String(e)}`);
        return 1;
    } finally {
        node.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then((code) => process.exit(code));

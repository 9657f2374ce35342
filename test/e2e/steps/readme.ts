import * as fs from "fs";
import * as path from "path";
import { REPO, run, tail } from "../harness";
import { Check, PACK_RAN, Step } from "./common";

/**
 * The README's first command, `npm run dev`: a preview of the committed dev
 * stack on a local file backend, with no cloud account and no key of the
 * user's. Run in a copy of the repository (it adds the stack's salt to
 * Pulumi.dev.yaml) with its own HOME; a preview contacts no node.
 */
export function readmeMainJob(step: Step, check: Check, workDir: string, toolchainPath: string): void {
    step("k. README main job: npm run dev previews the dev stack on a local file backend, no secret in a tracked file", () => {
        const repo = REPO;
        const copy = path.join(workDir, "readme-repo");
        const home = path.join(workDir, "readme-home");
        fs.mkdirSync(home, { recursive: true });
        const files = run("git", ["ls-files", "-z"], { cwd: repo }).stdout.split("\0").filter(Boolean);
        for (const f of files) {
            if (!fs.existsSync(path.join(repo, f))) continue;
            fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
            fs.copyFileSync(path.join(repo, f), path.join(copy, f));
        }
        fs.symlinkSync(path.join(repo, "node_modules"), path.join(copy, "node_modules"));
        // `npm run dev` finds the `pulumi` npm package's launcher first on PATH;
        // it runs the CLI cached under PULUMI_HOME/versions/<version>/bin, which
        // on a workstation it downloads once and here the toolchain provides.
        const cliVersion = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies.pulumi;
        const cached = path.join(home, ".pulumi", "versions", cliVersion, "bin");
        fs.mkdirSync(cached, { recursive: true });
        const pulumiDir = toolchainPath.split(":").find((d) => fs.existsSync(path.join(d, "pulumi")));
        check(pulumiDir !== undefined, "no pulumi binary in the toolchain");
        // What the official CLI's cache holds: the CLI, its language host and its dynamic-provider launcher (for the Go-built CLI, this project's, which scripts/toolchain.sh puts beside it).
        for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) fs.symlinkSync(fs.realpathSync(path.join(pulumiDir, bin)), path.join(cached, bin));
        const env: NodeJS.ProcessEnv = {
            PATH: `${toolchainPath}:${process.env.PATH ?? ""}`,
            HOME: home,
            PULUMI_HOME: path.join(home, ".pulumi"),
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_UPDATE_CHECK: "1",
        };
        const before = fs.readFileSync(path.join(copy, "Pulumi.dev.yaml"), "utf8");
        const r = run("npm", ["run", "dev"], { cwd: copy, env, timeoutSeconds: 300 });
        const out = r.stdout + r.stderr;
        check(r.code === 0, `npm run dev exited ${r.code}:\n${tail(out, 30)}`);
        const creates = /\+ (\d+) to create/.exec(out);
        check(creates !== null && Number(creates[1]) > 0, `no creates in the preview:\n${tail(out, 20)}`);
        check(PACK_RAN.test(out), `npm run dev did not run the policy pack:\n${tail(out, 20)}`);
        const line = `pulumi: stack dev · backend file://${home}/.picluster/state (embedded default) · CLI `;
        check(out.includes(line), `npm run dev did not name its stack, backend and CLI in one line:\n${tail(out, 30)}`);
        const passphrase = path.join(home, ".picluster", "passphrase");
        check(fs.existsSync(passphrase) && (fs.statSync(passphrase).mode & 0o777) === 0o600, "no random 0600 passphrase file was made");
        check(fs.existsSync(path.join(home, ".picluster", "dev_ed25519")), "no dev key was generated");
        check(fs.existsSync(path.join(home, ".picluster", "state", ".pulumi", "stacks")), "no file-backend state under ~/.picluster/state");
        const stackFile = fs.readFileSync(path.join(copy, "Pulumi.dev.yaml"), "utf8");
        check(!/secure:/.test(stackFile), "a secret was written into the tracked Pulumi.dev.yaml");
        check(/^encryptionsalt: v1:\S+\n$/.test(stackFile.slice(before.length)) && stackFile.startsWith(before), "Pulumi.dev.yaml changed beyond its added encryptionsalt line");
        const key = fs.readFileSync(path.join(home, ".picluster", "dev_ed25519"), "utf8").split("\n")[1];
        check(!out.includes(key), "the private key appears in the preview output");
        return `preview ${r.seconds.toFixed(1)} s: ${creates[1]} to create; key generated outside the repository; state in ~/.picluster/state; ${out.split("\n").length} lines of output`;
    });
}

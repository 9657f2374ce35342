import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { chooseBackend, describeRun, EMBEDDED_BACKEND, ensurePassphrase, resolveBackend, shownBackend, withStack } from "../../../scripts/lib/backend";
import { cliCandidates, findCli, noCliMessage, pinnedCliVersion } from "../../../scripts/lib/pulumiCli";

const REPO = path.join(__dirname, "..", "..", "..");
const PIN = pinnedCliVersion(REPO);
const dirs: string[] = [];
const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-backend-"));
    dirs.push(d);
    return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A stand-in `pulumi` that reports VERSION and prints what it was run with. */
function fakeCli(dir: string, version: string): string {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "pulumi");
    fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = version ]; then echo ${version}; exit 0; fi\necho "args: $*"\necho "backend: $PULUMI_BACKEND_URL"\necho "passphrase file: $PULUMI_CONFIG_PASSPHRASE_FILE"\n`, { mode: 0o755 });
    return file;
}

describe("the backend every entry point uses", () => {
    it("takes PULUMI_BACKEND_URL, then Pulumi.yaml's backend.url, then the CLI's login, then the embedded local default", () => {
        const all = { env: "s3://env", project: "s3://project", login: "https://api.pulumi.com" };
        expect(chooseBackend(all)).toEqual({ url: "s3://env", source: "PULUMI_BACKEND_URL" });
        expect(chooseBackend({ ...all, env: undefined })).toEqual({ url: "s3://project", source: "Pulumi.yaml backend.url" });
        expect(chooseBackend({ login: all.login })).toEqual({ url: all.login, source: "pulumi login" });
        expect(chooseBackend({})).toEqual({ url: EMBEDDED_BACKEND, source: "embedded default" });
    });

    it("reads the project setting and the login from their files", () => {
        const root = tmp();
        const home = tmp();
        fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: picluster\nruntime: nodejs\n");
        expect(resolveBackend(root, {}, home).source).toBe("embedded default");
        fs.mkdirSync(path.join(home, ".pulumi"));
        fs.writeFileSync(path.join(home, ".pulumi", "credentials.json"), JSON.stringify({ current: "s3://login?region=x", accounts: {} }));
        expect(resolveBackend(root, {}, home)).toEqual({ url: "s3://login?region=x", source: "pulumi login" });
        fs.appendFileSync(path.join(root, "Pulumi.yaml"), "backend:\n  url: s3://team-state?endpoint=http://nas:9000&s3ForcePathStyle=true\n");
        expect(resolveBackend(root, {}, home).url).toBe("s3://team-state?endpoint=http://nas:9000&s3ForcePathStyle=true");
        expect(resolveBackend(root, { PULUMI_BACKEND_URL: "file:///srv/state" }, home)).toEqual({ url: "file:///srv/state", source: "PULUMI_BACKEND_URL" });
    });

    it("shows a file backend as an absolute path and masks credentials in a URL", () => {
        expect(shownBackend("file://~/.picluster/state", "/home/ada")).toBe("file:///home/ada/.picluster/state");
        expect(shownBackend("https://user:secret@state.lan/x")).toBe("https://****@state.lan/x");
    });
});

describe("the stack", () => {
    it("adds --stack dev to a stack command that names none, and keeps one that is named", () => {
        expect(withStack(["preview", "--policy-pack", "policy"])).toEqual({ args: ["preview", "--policy-pack", "policy", "--stack", "dev"], stack: "dev" });
        expect(withStack(["up", "-s", "pi"]).stack).toBe("pi");
        expect(withStack(["config", "get", "x", "--stack=pi"]).args).toEqual(["config", "get", "x", "--stack=pi"]);
        expect(withStack(["stack", "init", "e2e", "--secrets-provider", "passphrase"])).toMatchObject({ stack: "e2e", args: ["stack", "init", "e2e", "--secrets-provider", "passphrase"] });
        expect(withStack(["up", "--", "extra"]).args).toEqual(["up", "--stack", "dev", "--", "extra"]);
    });

    it("adds none where the command takes none", () => {
        for (const args of [["version"], ["whoami", "-v"], ["plugin", "ls"], ["stack", "ls"], ["state", "move", "--source", "a", "--dest", "b"]]) {
            expect(withStack(args), args.join(" ")).toEqual({ args });
        }
    });

    it("names stack, backend and its source, CLI and passphrase in one line", () => {
        const line = describeRun({ backend: { url: EMBEDDED_BACKEND, source: "embedded default" }, stack: "dev", cli: { path: "/usr/bin/pulumi", version: `v${PIN}` }, passphrase: "passphrase from /home/ada/.picluster/passphrase", home: "/home/ada" });
        expect(line).toBe(`pulumi: stack dev · backend file:///home/ada/.picluster/state (embedded default) · CLI /usr/bin/pulumi v${PIN} · passphrase from /home/ada/.picluster/passphrase`);
        expect(line).not.toContain("\n");
    });
});

describe("the passphrase", () => {
    it("is the user's when set, and no file is made", () => {
        const home = tmp();
        expect(ensurePassphrase({ PULUMI_CONFIG_PASSPHRASE: "" }, home)).toMatchObject({ env: {}, generated: false });
        expect(ensurePassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/p" }, home).shown).toContain("/run/secrets/p");
        expect(fs.existsSync(path.join(home, ".picluster"))).toBe(false);
    });

    it("is otherwise random, made once into a 0600 file outside the repository, and used through PULUMI_CONFIG_PASSPHRASE_FILE", () => {
        const home = tmp();
        const first = ensurePassphrase({}, home);
        const file = path.join(home, ".picluster", "passphrase");
        expect(first).toMatchObject({ env: { PULUMI_CONFIG_PASSPHRASE_FILE: file }, generated: true });
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        const phrase = fs.readFileSync(file, "utf8").trim();
        expect(phrase).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(ensurePassphrase({}, home).generated).toBe(false);
        expect(fs.readFileSync(file, "utf8").trim()).toBe(phrase);
        const other = tmp();
        ensurePassphrase({}, other);
        expect(fs.readFileSync(path.join(other, ".picluster", "passphrase"), "utf8").trim()).not.toBe(phrase);
    });

    it("is refused when others can read its file", () => {
        const home = tmp();
        ensurePassphrase({}, home);
        fs.chmodSync(path.join(home, ".picluster", "passphrase"), 0o644);
        expect(() => ensurePassphrase({}, home)).toThrow(/readable by others \(mode 644\).*chmod 600/);
    });
});

describe("the Pulumi CLI", () => {
    it("skips the npm package's launcher on PATH and takes the first CLI at the pinned version, naming the others", () => {
        const home = tmp();
        const bin = path.join(tmp(), "node_modules", ".bin");
        fakeCli(bin, `v${PIN}`);
        const old = fakeCli(path.join(tmp(), "old"), "v3.100.0");
        const mine = fakeCli(path.join(tmp(), "mine"), `v${PIN}`);
        const candidates = cliCandidates({ PATH: [bin, path.dirname(old), path.dirname(mine)].join(":") }, PIN, home);
        expect(candidates.map((c) => c.path)).not.toContain(path.join(bin, "pulumi"));
        const { cli, missed } = findCli(candidates, PIN);
        expect(cli).toEqual({ path: mine, version: `v${PIN}`, from: "PATH" });
        expect(missed).toEqual([{ path: old, from: "PATH", why: `reports v3.100.0, not v${PIN}` }]);
    });

    it("looks in ~/.pulumi/bin, the npm package's cache and the toolchain's build after PATH", () => {
        const home = tmp();
        const froms = cliCandidates({ PATH: "", PICLUSTER_TOOLCHAIN_DIR: "/tc" }, PIN, home).map((c) => c.path);
        expect(froms).toEqual([path.join(home, ".pulumi", "bin", "pulumi"), path.join(home, ".pulumi", "versions", PIN, "bin", "pulumi"), `/tc/pulumi-v${PIN}/bin/pulumi`]);
    });

    it("when none can be had, names every place tried, the download's failure, and how to build or install one", () => {
        const msg = noCliMessage(PIN, [{ path: "/home/ada/.pulumi/bin/pulumi", from: "~/.pulumi/bin", why: "not there" }], "fetching https://get.pulumi.com/install.sh failed: fetch failed", "/home/ada");
        expect(msg).toContain(`no Pulumi CLI v${PIN}`);
        expect(msg).toContain("~/.pulumi/bin/pulumi (~/.pulumi/bin): not there");
        expect(msg).toContain("fetch failed");
        expect(msg).toContain("scripts/toolchain.sh pulumi");
        expect(msg).toContain(`--version ${PIN}`);
    });
});

describe("scripts/pulumi.sh", () => {
    const run = (env: NodeJS.ProcessEnv, args: string[]) => spawnSync("bash", [path.join(REPO, "scripts", "pulumi.sh"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH, ...env } });

    it("runs the CLI at the pin with the chosen backend and passphrase, and says so in one line", () => {
        const home = tmp();
        const cliDir = path.join(tmp(), "bin");
        fakeCli(cliDir, `v${PIN}`);
        const r = run({ HOME: home, PATH: `${cliDir}:${process.env.PATH}`, PICLUSTER_NO_CLI_INSTALL: "1" }, ["preview"]);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("args: preview --stack dev");
        expect(r.stdout).toContain(`backend: file://${home}/.picluster/state`);
        expect(r.stdout).toContain(`passphrase file: ${home}/.picluster/passphrase`);
        expect(r.stderr.split("\n")[0]).toBe(`pulumi: stack dev · backend file://${home}/.picluster/state (embedded default) · CLI ${cliDir}/pulumi v${PIN} · passphrase from ${home}/.picluster/passphrase`);
        const s3 = run({ HOME: home, PATH: `${cliDir}:${process.env.PATH}`, PULUMI_BACKEND_URL: "s3://state?region=x", PULUMI_CONFIG_PASSPHRASE: "p" }, ["up", "--stack", "pi"]);
        expect(s3.stdout).toContain("backend: s3://state?region=x");
        expect(s3.stderr).toMatch(/^pulumi: stack pi · backend s3:\/\/state\?region=x \(PULUMI_BACKEND_URL\)/);
    });

    it("refuses the embedded default on a GitHub runner: CI never makes a state of its own", () => {
        const cliDir = path.join(tmp(), "bin");
        fakeCli(cliDir, `v${PIN}`);
        const r = run({ HOME: tmp(), PATH: `${cliDir}:${process.env.PATH}`, GITHUB_ACTIONS: "true", PULUMI_BACKEND_URL: "" }, ["preview"]);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("CI has no state of its own");
        expect(r.stdout).not.toContain("args:");
    });

    it("exits non-zero naming what it tried when no CLI at the pin can be had", () => {
        const home = tmp();
        const old = path.join(tmp(), "bin");
        fakeCli(old, "v3.1.0");
        const r = run({ HOME: home, PATH: `${old}:${process.env.PATH}`, PICLUSTER_TOOLCHAIN_DIR: tmp(), PICLUSTER_NO_CLI_INSTALL: "1" }, ["preview"]);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`${old}/pulumi (PATH): reports v3.1.0, not v${PIN}`);
        expect(r.stderr).toContain("not tried (PICLUSTER_NO_CLI_INSTALL=1)");
        expect(r.stderr).toContain("scripts/toolchain.sh pulumi");
    });
});

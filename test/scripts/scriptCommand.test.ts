import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { inlineIncludes, NodeScript, scriptCommand, scriptText, shellQuote } from "../../components/cluster/nodeScripts";
import { parsePreflightReport } from "../../components/cluster/install/preflightReport";
import { FIXTURES, Sandbox } from "./sandbox";

/** Runs a command line the way sshd does: through the login user's shell. */
function viaShell(commandLine: string, env: Record<string, string>): { status: number; stdout: string } {
    const r = spawnSync("sh", ["-c", commandLine], { encoding: "utf8", env });
    return { status: r.status ?? -1, stdout: r.stdout };
}

describe("remote command lines", () => {
    it.each(["plain", "with space", "it's", `"double" and $dollar and \`tick\``, "new\nline", "--flag=x"])("quotes %j so the shell gives it back unchanged", (word) => {
        expect(viaShell(`printf %s ${shellQuote(word)}`, {}).stdout).toBe(word);
    });

    it("runs a node script through bash -c with its parameters, as a remote shell would", () => {
        const node = new Sandbox();
        node.write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
        node.write("proc/swaps", "Filename\tType\n");
        node.write("etc/hostname", "cp-1\n");
        const line = scriptCommand("preflight.sh", { sudo: false, env: { DECLARED_ARCH: "amd64", MIN_FREE_DISK_MIB: "1", ROLE: "server" } });
        const r = viaShell(line, {
            PATH: `${path.join(FIXTURES, "bin")}:/usr/bin:/bin:/usr/sbin:/sbin`,
            PICLUSTER_ROOT: node.root,
            STUB_UNAME_M: "x86_64",
            STUB_LOG: node.log,
        });
        expect(r.status, r.stdout).toBe(0);
        const report = parsePreflightReport(r.stdout);
        expect(report.checks.find((c) => c.name === "arch")).toEqual({ name: "arch", status: "ok", detail: "x86_64" });
        expect(report.facts.hostname).toBe("cp-1");
    });

    it("puts parameters in sorted order and refuses names a shell would misread", () => {
        const line = scriptCommand("node-ready.sh", { sudo: true, env: { UNCORDON: "1", NODE_NAME: "pi-1" } });
        expect(line.startsWith("sudo -n env NODE_NAME=pi-1 UNCORDON=1 bash -c ")).toBe(true);
        expect(line.endsWith(" node-ready.sh")).toBe(true);
        expect(() => scriptCommand("node-ready.sh", { sudo: false, env: { "BAD NAME": "x" } })).toThrow(/invalid environment variable name/);
    });

    it("inlines a shared piece in place of the line that sources it", () => {
        const text = 'set -eu\nsource "$(dirname "${BASH_SOURCE[0]}")/lib/piece.sh" # picluster:include\necho done\n';
        expect(inlineIncludes(text, (rel) => `# ${rel}\npiece() { :; }\n`)).toBe("set -eu\n# lib/piece.sh\npiece() { :; }\necho done\n");
    });

    it.each<NodeScript>(["k3s-install.sh", "node-drain.sh", "node-ready.sh", "node-registries.sh", "admin-credential.sh", "node-observe.sh", "node-repair.sh"])("sends %s with its shared pieces inlined: nothing on the node is sourced", (name) => {
        const text = scriptText(name);
        expect(text).not.toMatch(/^source /m);
        expect(text).toContain("k3s_path() {");
    });

    it("finds k3s in /opt/bin through the inlined piece when the script arrives as one string", () => {
        const node = new Sandbox();
        node.installK3s("opt/bin");
        fs.writeFileSync(path.join(node.state, "version"), "v1.33.5+k3s1");
        // The stub commands without k3s: the node's PATH (sudo's secure_path) does not reach /opt/bin.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-bin-"));
        for (const f of fs.readdirSync(path.join(FIXTURES, "bin")).filter((f) => f !== "k3s")) fs.symlinkSync(path.join(FIXTURES, "bin", f), path.join(bin, f));
        const env = { PATH: `${bin}:/usr/bin:/bin`, PICLUSTER_ROOT: node.root, STUB_LOG: node.log, STUB_STATE: node.state };
        const seen = viaShell(scriptCommand("node-observe.sh", { sudo: false, env: { ROLE: "agent" } }), env);
        expect(seen.status).toBe(0);
        expect(JSON.parse(seen.stdout).version).toBe("v1.33.5+k3s1");
        const missing = new Sandbox();
        const drain = spawnSync("sh", ["-c", scriptCommand("node-drain.sh", { sudo: false, env: { MODE: "drain", NODE_NAME: "pi-1" } })], {
            encoding: "utf8",
            env: { ...env, PICLUSTER_ROOT: missing.root },
        });
        expect(drain.status).toBe(1);
        expect(drain.stderr).toContain("k3s is not installed on this node (looked in /usr/local/bin and /opt/bin)");
    });
});

import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { scriptCommand, shellQuote } from "../../components/cluster/nodeScripts";
import { parsePreflightReport } from "../../components/cluster/preflightReport";
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
});

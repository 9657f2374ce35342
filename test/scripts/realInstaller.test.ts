import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { installerCachePath } from "../e2e/lib/installer";

// k3s-install.sh in artifact mode running the real k3s install.sh (from the
// cache outside the repository, docs/e2e.md) on an e2e node's private files
// (test/e2e/lib/nodes.sh exec), with the k3s, systemctl and journalctl stubs
// of test/e2e/fixtures. Needs root (mount namespaces).
const REPO = path.resolve(__dirname, "../..");
const NODES = path.join(REPO, "test/e2e/lib/nodes.sh");
const INSTALLER = installerCachePath();
const VERSION = "v1.33.5+k3s1";
const ready = fs.existsSync(INSTALLER) && process.getuid?.() === 0;
if (!ready) console.warn(`realInstaller tests skipped: need root and ${INSTALLER} (see docs/e2e.md, "The k3s installer")`);

const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe.skipIf(!ready)("k3s-install.sh with the real install.sh (artifact mode) on the stubs", () => {
    let server: net.Server;
    let port = 0;
    let dir = "";
    let caHash = "";
    beforeAll(async () => {
        server = net.createServer((s) => s.destroy());
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => server.close());
    afterEach(() => {
        spawnSync("bash", [NODES, "stop", dir]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A node dir with the cluster's CA, tokens, the artifacts and harness settings. */
    function setup(): void {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-real-installer-"));
        for (const d of ["pki", "cluster", "art", "installer"]) fs.mkdirSync(path.join(dir, d));
        const ca = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${dir}/pki/ca.key`, "-out", `${dir}/pki/ca.crt`, "-subj", "/CN=e2e-ca", "-days", "1"]);
        expect(ca.status, ca.stderr.toString()).toBe(0);
        caHash = sha256(`${dir}/pki/ca.crt`);
        fs.writeFileSync(`${dir}/cluster/token`, "server-secret\n");
        fs.writeFileSync(`${dir}/cluster/agent-token`, "agent-secret\n");
        fs.writeFileSync(`${dir}/installer/harness.env`, `E2E_PKI='${dir}/pki'\nE2E_LOG='${dir}/calls.log'\nE2E_STATE='${dir}/cluster'\n`);
        const stub = fs.readFileSync(path.join(REPO, "test/e2e/fixtures/k3s-stub.sh"), "utf8").replace("@K3S_VERSION@", VERSION).replace("@HARNESS_ENV@", `${dir}/installer/harness.env`);
        fs.writeFileSync(`${dir}/art/k3s`, stub, { mode: 0o755 });
        fs.copyFileSync(INSTALLER, `${dir}/art/install.sh`);
    }

    /** Runs `bash -c script` as root inside node a1. */
    function onNode(script: string, env: Record<string, string> = {}, input = "") {
        const r = spawnSync("bash", [NODES, "exec", dir, "a1", "--", "bash", "-c", script], { input, env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    function install(token: string, extra: Record<string, string> = {}) {
        const config = `node-name: a1\nserver: https://127.0.0.1:${extra.PORT ?? port}\ntoken: ${token}\n`;
        // No API server here, so no Node registers: the Node's Ready wait is
        // left to a gate (the e2e suite runs it, against a real API server).
        return onNode(`bash ${REPO}/components/cluster/scripts/k3s-install.sh`, {
            MODE: "install", ROLE: "agent", NODE_NAME: "a1", TARGET_VERSION: VERSION, READY_TIMEOUT: "4", POLL_INTERVAL: "0.5", NODE_READY_GATE: "1",
            ARTIFACT_DIR: `${dir}/art`, INSTALLER_FILE: "install.sh", INSTALL_SHA256: sha256(`${dir}/art/install.sh`),
            BINARY_FILE: "k3s", BINARY_SHA256: sha256(`${dir}/art/k3s`),
        }, config);
    }
    const nodeFile = (p: string) => path.join(dir, "nodes", "a1", "root", p);
    const events = () => fs.readFileSync(`${dir}/calls.log`, "utf8").trim().split("\n").map((l) => / event=(\S+)/.exec(l)?.[1] + (/ verb=(\S+)/.exec(l)?.[1] ? `:${/ verb=(\S+)/.exec(l)?.[1]}` : ""));

    it("installs without starting, writes a Type=notify unit for the placed k3s, and the agent joins with the agent token", () => {
        setup();
        const r = install(`K10${caHash}::node:agent-secret`);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("[INFO]  Skipping k3s download and verify");
        expect(r.stdout).toContain("[a1] k3s-agent active");
        const unit = fs.readFileSync(nodeFile("etc-systemd-system/k3s-agent.service"), "utf8");
        expect(unit).toMatch(/^Type=notify$/m);
        expect(unit).toMatch(/^TimeoutStartSec=0$/m);
        expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s \\\n\s+agent/m);
        // install.sh only enables (INSTALL_K3S_SKIP_START); k3s-install.sh starts it, bounded by its timeout.
        const seq = events().filter((e) => !e.startsWith("systemctl:is-active"));
        expect(seq.slice(0, 7)).toEqual(["systemctl:disable", "install-start", "systemctl:enable", "systemctl:daemon-reload", "install", "systemctl:restart", "k3s-start"]);
        expect(fs.readFileSync(`${dir}/calls.log`, "utf8")).toMatch(/verb=restart unit=k3s-agent no_block=0/);
    });

    it("keeps the server token out of the agent's config and the unit's environment file", () => {
        setup();
        expect(install(`K10${caHash}::node:agent-secret`).status).toBe(0);
        for (const f of ["etc-rancher/k3s/config.yaml", "etc-systemd-system/k3s-agent.service.env", "etc-systemd-system/k3s-agent.service"]) {
            expect(fs.readFileSync(nodeFile(f), "utf8"), f).not.toContain("server-secret");
        }
        expect((fs.statSync(nodeFile("etc-systemd-system/k3s-agent.service.env")).mode & 0o777).toString(8)).toBe("600");
    });

    it("leaves none of k3s-install.sh's own inputs in the unit's environment file (install.sh copies every K3S_* variable there)", () => {
        setup();
        expect(install(`K10${caHash}::node:agent-secret`).status).toBe(0);
        const names = fs
            .readFileSync(nodeFile("etc-systemd-system/k3s-agent.service.env"), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("=")[0]);
        expect(names.filter((n) => /VERSION|BIN|SHA256|INSTALL/.test(n))).toEqual([]);
    });

    it("fails within READY_TIMEOUT naming the node and the rejected token; a blocking restart of that unit never returns", () => {
        setup();
        const r = install(`K10${caHash}::node:wrong`);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("[a1] k3s-agent not active (activating) within 4s: token rejected by 127.0.0.1:");
        expect(r.stderr).toContain("401 Unauthorized");
        // systemd semantics the program avoids: `restart` without --no-block waits for READY=1 forever.
        const b = onNode("timeout 3 systemctl restart k3s-agent; echo blocking=$?; systemctl restart --no-block k3s-agent; echo no-block=$?; systemctl is-active k3s-agent; echo is-active=$?");
        expect(b.stdout.split("\n")).toEqual(["blocking=124", "no-block=0", "activating", "is-active=3", ""]);
    });

    it("names a CA hash mismatch from the unit's journal (k3s exits; Restart=always starts it again)", () => {
        setup();
        const bad = install(`K10${"0".repeat(64)}::node:agent-secret`);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain("token rejected by");
        expect(bad.stderr).toContain("token CA hash does not match the Cluster CA certificate hash");
    });

    it("names an unreachable server from the unit's journal", () => {
        setup();
        const down = install(`K10${caHash}::node:agent-secret`, { PORT: "1" });
        expect(down.status).toBe(1);
        expect(down.stderr).toContain("cannot reach 127.0.0.1:1");
    });

    it("upgrades with the installer that already ran by placing the new binary and restarting; a changed installer runs again", () => {
        setup();
        expect(install(`K10${caHash}::node:agent-secret`).status).toBe(0);
        const unit = fs.readFileSync(nodeFile("etc-systemd-system/k3s-agent.service"), "utf8");
        expect(fs.readFileSync(nodeFile("var-lib-picluster/installer-ran.sha256"), "utf8").trim()).toBe(sha256(`${dir}/art/install.sh`));
        /** The stub binary for `version`, as the workstation copies it, then k3s-install.sh MODE=upgrade. */
        const upgrade = (version: string) => {
            const stub = fs.readFileSync(`${dir}/art/k3s`, "utf8").replace(/^VERSION='[^']*'$/m, `VERSION='${version}'`);
            fs.writeFileSync(`${dir}/art/k3s`, stub, { mode: 0o755 });
            fs.writeFileSync(`${dir}/calls.log`, "");
            return onNode(`bash ${REPO}/components/cluster/scripts/k3s-install.sh`, {
                MODE: "upgrade", ROLE: "agent", NODE_NAME: "a1", TARGET_VERSION: version,
                ARTIFACT_DIR: `${dir}/art`, INSTALLER_FILE: "install.sh", INSTALL_SHA256: sha256(`${dir}/art/install.sh`),
                BINARY_FILE: "k3s", BINARY_SHA256: sha256(`${dir}/art/k3s`),
            });
        };
        const same = upgrade("v1.33.6+k3s1");
        expect(same.status, same.stderr).toBe(0);
        expect(same.stdout).toContain("installer unchanged since it last ran here: the new binary needs only the restart");
        expect(events().filter((e) => e === "install-start" || e === "install")).toEqual([]);
        expect(events()).toContain("systemctl:restart");
        expect(onNode("/usr/local/bin/k3s --version").stdout).toContain("v1.33.6+k3s1");
        expect(fs.readFileSync(nodeFile("etc-systemd-system/k3s-agent.service"), "utf8")).toBe(unit);

        fs.appendFileSync(`${dir}/art/install.sh`, "\n# another installer\n");
        const changed = upgrade("v1.33.7+k3s1");
        expect(changed.status, changed.stderr).toBe(0);
        expect(events()).toEqual(expect.arrayContaining(["install-start", "install", "systemctl:restart"]));
        expect(onNode("/usr/local/bin/k3s --version").stdout).toContain("v1.33.7+k3s1");
    });

    it("uninstalls through the uninstaller install.sh wrote: unit stopped and disabled, binary, links and unit files gone", () => {
        setup();
        expect(install(`K10${caHash}::node:agent-secret`).status).toBe(0);
        const u = onNode(`bash ${REPO}/components/cluster/scripts/k3s-uninstall.sh`);
        expect(u.status, u.stderr).toBe(0);
        expect(u.stdout).toContain("k3s uninstalled");
        // The note of the installer that ran goes too: a later install runs it afresh.
        expect(fs.existsSync(nodeFile("var-lib-picluster/installer-ran.sha256"))).toBe(false);
        expect(fs.readdirSync(nodeFile("usr-local-bin"))).toEqual([]);
        expect(fs.readdirSync(nodeFile("etc-systemd-system"))).toEqual([]);
        expect(events()).toEqual(expect.arrayContaining(["systemctl:stop", "uninstall"]));
        expect(onNode("systemctl is-active k3s-agent").stdout.trim()).toBe("inactive");
    });
});

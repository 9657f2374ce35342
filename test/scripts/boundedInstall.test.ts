import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { FIXTURES, Sandbox } from "./sandbox";

const CONFIG = "token: K10abc::node:secret\nnode-name: pi-1\nserver: https://10.0.0.10:6443\n";
const INSTALLER = path.join(FIXTURES, "fake-installer.sh");
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const env = (extra: Record<string, string> = {}) => ({
    MODE: "install",
    ROLE: "agent",
    NODE_NAME: "pi-1",
    TARGET_VERSION: "v1.33.5+k3s1",
    INSTALL_URL: `file://${INSTALLER}`,
    READY_TIMEOUT: "1",
    POLL_INTERVAL: "0.1",
    ...extra,
});

describe("k3s-install.sh waits are bounded and diagnosed", () => {
    it("fails a join whose token the server rejects within the timeout, naming the node, the server and the journal", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env({ STUB_JOIN: "token" }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("[pi-1] k3s-agent not active (activating) within 1s: token rejected by 10.0.0.10:6443");
        expect(r.stderr).toContain("last lines of the k3s-agent journal:");
        expect(r.stderr).toContain("401 Unauthorized");
        // The start job never finishes (k3s never notifies): the blocking
        // restart was bounded by the same timeout.
        expect(node.calls()).toContain("systemctl restart k3s-agent");
    });

    it("says the server cannot be reached when the journal shows a refused connection", () => {
        const r = new Sandbox().run("k3s-install.sh", env({ STUB_JOIN: "unreachable" }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("cannot reach 10.0.0.10:6443");
        expect(r.stderr).toContain("connect: connection refused");
    });

    it("reports an empty journal plainly when k3s logged nothing", () => {
        const r = new Sandbox().run("k3s-install.sh", env({ STUB_JOIN: "silent" }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("k3s-agent did not report ready");
        expect(r.stderr).toContain("(empty)");
    });

    it("on the next run waits again for a unit that never became active, instead of calling it installed", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env({ STUB_JOIN: "token" }), CONFIG);
        const again = node.run("k3s-install.sh", env({ STUB_JOIN: "token" }), CONFIG);
        expect(again.status).toBe(1);
        expect(again.stdout).toContain("not active yet; waiting");
    });

    it("bounds a reconfigure's restart the same way", () => {
        const node = new Sandbox();
        expect(node.run("k3s-install.sh", env(), CONFIG).status).toBe(0);
        const r = node.run("k3s-install.sh", env({ MODE: "reconfigure", STUB_JOIN: "token" }), CONFIG + "node-ip: 10.0.0.21\n");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("token rejected by 10.0.0.10:6443");
    });
});

describe("k3s-install.sh installs only checked installers", () => {
    it("keeps the file:// installer it was given, wherever it lies, and removes only its own copies", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-installer-"));
        const given = path.join(dir, "install.sh");
        fs.copyFileSync(INSTALLER, given);
        const unchecked = new Sandbox().run("k3s-install.sh", env({ INSTALL_URL: `file://${given}` }), CONFIG);
        expect(unchecked.status, unchecked.stderr).toBe(0);
        expect(fs.existsSync(given)).toBe(true);
        const staged = new Sandbox();
        const checked = staged.run("k3s-install.sh", env({ INSTALL_URL: `file://${given}`, INSTALL_SHA256: sha256(given) }), CONFIG);
        expect(checked.status, checked.stderr).toBe(0);
        expect(fs.existsSync(given)).toBe(true);
        expect(fs.readdirSync(path.join(staged.root, "var/lib/picluster/artifacts"))).toEqual([]);
        fs.rmSync(dir, { recursive: true });
    });

    it("refuses an http:// installer URL", () => {
        const r = new Sandbox().run("k3s-install.sh", env({ INSTALL_URL: "http://get.k3s.io" }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("INSTALL_URL must be https:// or file://");
    });

    it("runs an https:// installer without a sha256 only with a warning (the plan refuses it unless it is the default URL)", () => {
        const r = new Sandbox().run("k3s-install.sh", env({ INSTALL_URL: "https://example.invalid/install.sh", STUB_DOWNLOAD: INSTALLER }), CONFIG);
        expect(r.stderr).toContain("no INSTALL_SHA256 for https://example.invalid/install.sh: running it unchecked (https only)");
    });

    it("downloads over https only and runs the installer only when its sha256 matches", () => {
        const node = new Sandbox();
        const url = "https://example.invalid/install.sh";
        const bad = node.run("k3s-install.sh", env({ INSTALL_URL: url, INSTALL_SHA256: "0".repeat(64), STUB_DOWNLOAD: INSTALLER }), CONFIG);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain(`has sha256 ${sha256(INSTALLER)}, expected ${"0".repeat(64)}; refusing to run it`);
        expect(node.calls().some((c) => c.startsWith("installer"))).toBe(false);
        const good = node.run("k3s-install.sh", env({ INSTALL_URL: url, INSTALL_SHA256: sha256(INSTALLER), STUB_DOWNLOAD: INSTALLER }), CONFIG);
        expect(good.status, good.stderr).toBe(0);
        const curl = node.calls().find((c) => c.startsWith("curl"));
        expect(curl).toContain("--proto =https --proto-redir =https");
    });
});

describe("k3s-install.sh artifact mode", () => {
    function withArtifacts(node: Sandbox) {
        const dir = path.join(node.root, "var/tmp/picluster");
        fs.mkdirSync(dir, { recursive: true });
        fs.copyFileSync(INSTALLER, path.join(dir, "install.sh"));
        const k3s = path.join(dir, "k3s-arm64");
        fs.writeFileSync(k3s, `#!/bin/sh\nexec "${path.join(FIXTURES, "bin", "k3s")}" "$@"\n`);
        const images = path.join(dir, "k3s-airgap-images-arm64.tar.zst");
        fs.writeFileSync(images, "images");
        return {
            ARTIFACT_DIR: dir,
            INSTALLER_FILE: "install.sh",
            INSTALL_SHA256: sha256(INSTALLER),
            BINARY_FILE: "k3s-arm64",
            BINARY_SHA256: sha256(k3s),
            IMAGES_FILE: "k3s-airgap-images-arm64.tar.zst",
            IMAGES_SHA256: sha256(images),
        };
    }

    it("places the checked binary and images, then runs the checked installer with INSTALL_K3S_SKIP_DOWNLOAD", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env({ ...withArtifacts(node), DATA_DIR: "/mnt/ssd/k3s" }), CONFIG);
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain("installer version=v1.33.5+k3s1 exec=agent args= skip_start=true skip_download=true");
        expect(fs.statSync(path.join(node.root, "usr/local/bin/k3s")).mode & 0o777).toBe(0o755);
        expect(node.read("mnt/ssd/k3s/agent/images/k3s-airgap-images-arm64.tar.zst")).toBe("images");
        expect(r.stdout).toContain("checked every artifact's sha256");
    });

    it("stages and checks the artifacts ahead (MODE=stage), so the install neither copies nor hashes again", () => {
        const node = new Sandbox();
        const artifacts = withArtifacts(node);
        const staged = node.run("k3s-install.sh", env({ ...artifacts, MODE: "stage" }), "");
        expect(staged.status, staged.stderr).toBe(0);
        expect(staged.stdout).toContain("staged and checked every artifact's sha256");
        expect(node.exists("etc/rancher/k3s/config.yaml")).toBe(false);
        expect(node.calls().some((c) => c.startsWith("installer"))).toBe(false);
        const staging = path.join(node.root, "var/lib/picluster/artifacts");
        expect(fs.statSync(staging).mode & 0o777).toBe(0o700);
        // The workstation's copies may go: the install uses the checked, staged ones.
        fs.rmSync(artifacts.ARTIFACT_DIR, { recursive: true });
        const r = node.run("k3s-install.sh", env(artifacts), CONFIG);
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain("installer version=v1.33.5+k3s1 exec=agent args= skip_start=true skip_download=true");
    });

    it("checks a staged copy again when its checksum changes, and prunes the copies of other versions", () => {
        const node = new Sandbox();
        const artifacts = withArtifacts(node);
        expect(node.run("k3s-install.sh", env({ ...artifacts, MODE: "stage" }), "").status).toBe(0);
        const staging = path.join(node.root, "var/lib/picluster/artifacts");
        // A new binary under the same name: the old check does not count for it.
        fs.appendFileSync(path.join(artifacts.ARTIFACT_DIR, "k3s-arm64"), "# v2\n");
        const wrong = node.run("k3s-install.sh", env({ ...artifacts, MODE: "stage", BINARY_SHA256: "e".repeat(64) }), "");
        expect(wrong.status).toBe(1);
        expect(wrong.stderr).toContain("artifact k3s-arm64 has sha256");
        expect(fs.existsSync(path.join(staging, "k3s-arm64"))).toBe(false);
        // The next version arrives under its own name; the old one's copy goes.
        fs.copyFileSync(path.join(artifacts.ARTIFACT_DIR, "k3s-arm64"), path.join(artifacts.ARTIFACT_DIR, "k3s-arm64-v2"));
        const next = { ...artifacts, BINARY_FILE: "k3s-arm64-v2", BINARY_SHA256: sha256(path.join(artifacts.ARTIFACT_DIR, "k3s-arm64-v2")) };
        expect(node.run("k3s-install.sh", env({ ...next, MODE: "stage" }), "").status).toBe(0);
        expect(fs.readdirSync(staging).sort()).toEqual(
            ["install.sh", "install.sh.sha256", "k3s-airgap-images-arm64.tar.zst", "k3s-airgap-images-arm64.tar.zst.sha256", "k3s-arm64-v2", "k3s-arm64-v2.sha256"].sort(),
        );
    });

    it("refuses a binary whose sha256 differs, before running the installer", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env({ ...withArtifacts(node), BINARY_SHA256: "f".repeat(64) }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`artifact k3s-arm64 has sha256`);
        expect(r.stderr).toContain(`expected ${"f".repeat(64)}`);
        expect(node.exists("usr/local/bin/k3s")).toBe(false);
        expect(node.calls().some((c) => c.startsWith("installer"))).toBe(false);
    });
});

describe("k3s-uninstall.sh", () => {
    it("passes the node's data dir to k3s's uninstaller and finds it in /opt/bin too", () => {
        const node = new Sandbox();
        node.write("opt/bin/k3s-uninstall.sh", `#!/bin/sh\necho "uninstaller data_dir=$K3S_DATA_DIR" >>"${node.log}"\nrm -f "$0"\n`);
        fs.chmodSync(path.join(node.root, "opt/bin/k3s-uninstall.sh"), 0o755);
        const r = node.run("k3s-uninstall.sh", { DATA_DIR: "/mnt/ssd/k3s" });
        expect(r.status).toBe(0);
        expect(node.calls()).toContain("uninstaller data_dir=/mnt/ssd/k3s");
        expect(r.stdout).toContain("data dir /mnt/ssd/k3s");
    });
});

describe("k3s-install.sh refuses changes k3s cannot make in place", () => {
    const SERVER = "token: T\nnode-name: cp-1\ncluster-cidr: 10.42.0.0/16\nservice-cidr: 10.43.0.0/16\n";
    const server = (extra: Record<string, string> = {}) => env({ ROLE: "server", NODE_NAME: "cp-1", READY_TIMEOUT: "5", ...extra });
    function installedServer(config = SERVER): Sandbox {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", server(), config);
        expect(r.status, r.stderr).toBe(0);
        return node;
    }

    it("refuses a role change, saying how to make it, and keeps the old config", () => {
        const node = installedServer();
        const r = node.run("k3s-install.sh", env({ MODE: "reconfigure", NODE_NAME: "cp-1" }), "token: K10x::node:y\nnode-name: cp-1\nserver: https://10.0.0.11:6443\n");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("role change refused: this node runs k3s, the config asks for agent");
        expect(r.stderr).toContain("remove the node from cluster.nodes and run pulumi up");
        expect(node.read("etc/rancher/k3s/config.yaml")).toBe(SERVER);
        expect(node.calls().filter((c) => c.startsWith("systemctl restart"))).toHaveLength(1);
    });

    it("never points an installed server at a new data dir (a new, empty datastore)", () => {
        const node = installedServer();
        const r = node.run("k3s-install.sh", server({ MODE: "reconfigure" }), SERVER + "data-dir: /mnt/ssd/k3s\n");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("data-dir change refused: unset -> /mnt/ssd/k3s");
        expect(node.read("etc/rancher/k3s/config.yaml")).toBe(SERVER);
    });

    it("refuses a CIDR change but allows adding cluster-init, and refuses removing it", () => {
        const node = installedServer();
        const cidr = node.run("k3s-install.sh", server({ MODE: "reconfigure" }), SERVER.replace("10.42.0.0/16", "10.52.0.0/16"));
        expect(cidr.status).toBe(1);
        expect(cidr.stderr).toContain("cluster-cidr change refused");
        const etcd = node.run("k3s-install.sh", server({ MODE: "reconfigure" }), SERVER + "cluster-init: true\n");
        expect(etcd.status, etcd.stderr).toBe(0);
        const back = node.run("k3s-install.sh", server({ MODE: "reconfigure" }), SERVER);
        expect(back.status).toBe(1);
        expect(back.stderr).toContain("cluster-init removal refused");
    });
});

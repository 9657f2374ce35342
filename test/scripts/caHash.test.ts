import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Sandbox } from "./sandbox";

const CA = "var/lib/rancher/k3s/server/tls/server-ca.crt";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBADAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----\n";
const env = (extra: Record<string, string> = {}) => ({ READY_TIMEOUT: "20", POLL_INTERVAL: "0.05", ...extra });
const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

/** Writes `content` to `file` after `seconds`, from a process of its own (the script under test runs synchronously). */
function writeLater(file: string, content: string, seconds: number) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const child = spawn("bash", ["-c", `sleep ${seconds}; printf '%s' "$1" >"$2"`, "writer", content, file], { detached: true, stdio: "ignore" });
    child.unref();
}

describe("ca-hash.sh", () => {
    it("prints the sha256 of the cluster CA as sha256sum does", () => {
        const node = new Sandbox();
        node.write(CA, PEM);
        const r = node.run("ca-hash.sh", env());
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.split(/\s+/)[0]).toBe(sha256(PEM));
    });

    it("waits for the certificate k3s writes as it starts, and hashes it only once it is whole", () => {
        const node = new Sandbox();
        // First a file without its END line, then the whole certificate.
        node.write(CA, PEM.split("\n")[0] + "\n");
        writeLater(path.join(node.root, CA), PEM, 0.5);
        const r = node.run("ca-hash.sh", env());
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.split(/\s+/)[0]).toBe(sha256(PEM));
    });

    it("stops waiting when the first server's install records a failure after it started", () => {
        const node = new Sandbox();
        writeLater(path.join(node.root, "var/lib/picluster/install.failed"), "k3s-install.sh exited with 1", 0.3);
        const r = node.run("ca-hash.sh", env());
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("no cluster CA: the first server's install failed (k3s-install.sh exited with 1); see its error");
    });

    it("ignores a failure recorded before it started (an earlier run's)", () => {
        const node = new Sandbox();
        node.write("var/lib/picluster/install.failed", "k3s-install.sh exited with 1");
        const old = new Date(Date.now() - 60_000);
        fs.utimesSync(path.join(node.root, "var/lib/picluster/install.failed"), old, old);
        writeLater(path.join(node.root, CA), PEM, 0.3);
        const r = node.run("ca-hash.sh", env());
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.split(/\s+/)[0]).toBe(sha256(PEM));
    });

    it("gives up after READY_TIMEOUT, naming the file", () => {
        const r = new Sandbox().run("ca-hash.sh", env({ READY_TIMEOUT: "1" }));
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/no cluster CA at .*\/var\/lib\/rancher\/k3s\/server\/tls\/server-ca.crt within 1s/);
    });
});

describe("k3s-install.sh's failure record", () => {
    it("records a failed install for ca-hash.sh, and clears it when the next install starts", () => {
        const node = new Sandbox();
        const failed = path.join(node.root, "var/lib/picluster/install.failed");
        const base = { MODE: "install", ROLE: "server", NODE_NAME: "cp-1", TARGET_VERSION: "v1.33.5+k3s1", READY_TIMEOUT: "5", POLL_INTERVAL: "0.1" };
        const bad = node.run("k3s-install.sh", { ...base, INSTALL_URL: "http://example.invalid/install.sh" }, "token: t\n");
        expect(bad.status).toBe(1);
        expect(fs.readFileSync(failed, "utf8")).toContain("k3s-install.sh exited with 1");
        const good = node.run("k3s-install.sh", { ...base, INSTALL_URL: `file://${path.join(__dirname, "fixtures", "fake-installer.sh")}`, NODE_READY_GATE: "1" }, "token: t\n");
        expect(good.status, good.stderr).toBe(0);
        expect(fs.existsSync(failed)).toBe(false);
    });
});

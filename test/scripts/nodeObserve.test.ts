import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { FIXTURES, Sandbox } from "./sandbox";

const TOKEN = "K10-super-secret-join-token";
const CONFIG = `token: ${TOKEN}\nnode-name: pi-1\nserver: https://10.0.0.10:6443\n`;
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const install = (node: Sandbox) =>
    node.run(
        "k3s-install.sh",
        { MODE: "install", ROLE: "agent", NODE_NAME: "pi-1", TARGET_VERSION: "v1.33.5+k3s1", INSTALL_URL: `file://${path.join(FIXTURES, "fake-installer.sh")}`, READY_TIMEOUT: "5" },
        CONFIG,
    );

/** Sets a unit's state in the systemctl stub (a unit it never started is inactive). */
const unit = (node: Sandbox, name: string, state: "active" | "inactive") => {
    fs.mkdirSync(path.join(node.state, "units"), { recursive: true });
    fs.writeFileSync(path.join(node.state, "units", name), `${state}\n`);
};

/** Every file below the root with its content and modification time. */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        const file = path.join(entry.parentPath, entry.name);
        const st = fs.statSync(file);
        out[file] = entry.isFile() ? `${st.mtimeMs} ${st.mode} ${fs.readFileSync(file, "hex")}` : `${st.mode}`;
    }
    return out;
}

describe("node-observe.sh", () => {
    it("reports the installed version, the running service, the config's hash and the machine-id as JSON", () => {
        const node = new Sandbox();
        node.write("etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        expect(install(node).status).toBe(0);
        node.write("var/lib/rancher/k3s/agent/kubelet.kubeconfig", "kubelet credentials\n");
        fs.writeFileSync(path.join(node.state, "node-pi-1", "ready"), "True");
        const r = node.run("node-observe.sh", { ROLE: "agent", NODE_NAME: "pi-1" });
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain(
            `kubectl get node pi-1 -o jsonpath={.status.conditions[?(@.type=="Ready")].status} --request-timeout=5s --kubeconfig ${node.root}/var/lib/rancher/k3s/agent/kubelet.kubeconfig`,
        );
        expect(JSON.parse(r.stdout)).toEqual({
            version: "v1.33.5+k3s1",
            service: "k3s-agent",
            active: true,
            ready: "True",
            configSha256: sha(CONFIG),
            registriesSha256: "",
            machineId: "0123456789abcdef0123456789abcdef",
        });
    });

    it("reports a node without k3s, config or machine-id as empty values", () => {
        const node = new Sandbox();
        const r = node.run("node-observe.sh", { ROLE: "server" });
        expect(JSON.parse(r.stdout)).toEqual({ version: "", service: "k3s", active: false, ready: "", configSha256: "", registriesSha256: "", machineId: "" });
    });

    it("sees a stopped service and a hand-edited config", () => {
        const node = new Sandbox();
        install(node);
        unit(node, "k3s-agent", "inactive");
        node.write("etc/rancher/k3s/config.yaml", `${CONFIG}node-label: [edited=by-hand]\n`);
        const seen = JSON.parse(node.run("node-observe.sh", { ROLE: "agent" }).stdout);
        expect(seen.active).toBe(false);
        expect(seen.configSha256).toBe(sha(`${CONFIG}node-label: [edited=by-hand]\n`));
    });

    it("changes nothing on the node, asks systemd only whether the unit is active, and never prints the token", () => {
        const node = new Sandbox();
        install(node);
        node.write("etc/rancher/k3s/registries.yaml", "mirrors: {}\n");
        const before = snapshot(node.root);
        const calls = node.calls().length;
        const r = node.run("node-observe.sh", { ROLE: "agent" });
        expect(snapshot(node.root)).toEqual(before);
        expect(node.calls().slice(calls)).toEqual(["systemctl is-active --quiet k3s-agent"]);
        const withName = node.run("node-observe.sh", { ROLE: "agent", NODE_NAME: "pi-1" });
        expect(withName.status).toBe(0);
        expect(snapshot(node.root)).toEqual(before);
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
        expect(JSON.parse(r.stdout).registriesSha256).toBe(sha("mirrors: {}\n"));
    });
});

describe("node-repair.sh", () => {
    it("restarts a running service whose node reports NotReady", () => {
        const node = new Sandbox();
        node.write("var/lib/rancher/k3s/agent/kubelet.kubeconfig", "kubelet credentials\n");
        fs.mkdirSync(path.join(node.state, "node-pi-1"));
        fs.writeFileSync(path.join(node.state, "node-pi-1", "ready"), "False");
        unit(node, "k3s-agent", "active");
        const r = node.run("node-repair.sh", { ROLE: "agent", NODE_NAME: "pi-1" });
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain("systemctl restart --no-block k3s-agent");
    });

    it("starts a stopped service and waits until it is active", () => {
        const node = new Sandbox();
        unit(node, "k3s", "inactive");
        const r = node.run("node-repair.sh", { ROLE: "server", NODE_NAME: "cp-1" });
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain("systemctl start --no-block k3s");
        expect(r.stdout).toContain("[cp-1] k3s active");
    });

    it("leaves a running service alone", () => {
        const node = new Sandbox();
        unit(node, "k3s-agent", "active");
        const r = node.run("node-repair.sh", { ROLE: "agent", NODE_NAME: "pi-1" });
        expect(r.status).toBe(0);
        expect(node.calls()).toEqual(["systemctl is-active --quiet k3s-agent"]);
        expect(r.stdout).toContain("nothing to do");
    });
});

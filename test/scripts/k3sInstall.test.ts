import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { FIXTURES, Sandbox } from "./sandbox";

const TOKEN = "K10-super-secret-join-token";
const CONFIG = `token: ${TOKEN}\nnode-name: pi-1\nserver: https://10.0.0.10:6443\n`;
const env = (mode: string, extra: Record<string, string> = {}) => ({
    MODE: mode,
    ROLE: "agent",
    NODE_NAME: "pi-1",
    TARGET_VERSION: "v1.33.5+k3s1",
    INSTALL_URL: `file://${path.join(FIXTURES, "fake-installer.sh")}`,
    READY_TIMEOUT: "5",
    POLL_INTERVAL: "0.1",
    ...extra,
});

describe("k3s-install.sh", () => {
    it("writes the config root-only from stdin and installs the pinned version", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env("install"), CONFIG);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(node.read("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
        expect(fs.statSync(path.join(node.root, "etc/rancher/k3s/config.yaml")).mode & 0o777).toBe(0o600);
        expect(node.calls()).toContain("installer version=v1.33.5+k3s1 exec=agent args= skip_start=true skip_download=");
        expect(node.calls()).toContain("systemctl restart k3s-agent");
        expect(r.stdout).toContain("k3s-agent active");
    });

    it("preinstalls a joining node without a config and without starting k3s; the install then only writes the config and starts it", () => {
        const node = new Sandbox();
        const pre = node.run("k3s-install.sh", env("preinstall"));
        expect(pre.status, pre.stdout + pre.stderr).toBe(0);
        expect(node.calls()).toContain("installer version=v1.33.5+k3s1 exec=agent args= skip_start=true skip_download=");
        expect(node.calls().filter((c) => c.startsWith("systemctl restart"))).toEqual([]);
        expect(fs.existsSync(path.join(node.root, "etc/rancher/k3s/config.yaml"))).toBe(false);
        expect(pre.stdout).toContain("k3s v1.33.5+k3s1 installed, not started");
        const installs = () => node.calls().filter((c) => c.startsWith("installer "));
        const r = node.run("k3s-install.sh", env("install"), CONFIG);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(installs()).toHaveLength(1);
        expect(r.stdout).toContain("config written; starting k3s-agent");
        expect(node.calls()).toContain("systemctl restart k3s-agent");
        expect(node.read("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    });

    it("preinstalls nothing where k3s is already installed, whatever its version", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install"), CONFIG);
        const calls = node.calls().length;
        const r = node.run("k3s-install.sh", env("preinstall", { TARGET_VERSION: "v1.34.1+k3s1" }));
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain("k3s v1.33.5+k3s1 already installed");
        expect(node.calls().length).toBe(calls);
    });

    it("never shows the join token in argv, the installer's environment or the output", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env("install"), CONFIG);
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
        expect(fs.readFileSync(node.log, "utf8")).not.toContain(TOKEN);
    });

    it("changes nothing when run again with the same inputs, and says so", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install"), CONFIG);
        // Queries (is-active, kubectl get) change nothing; count the rest.
        const actions = () => node.calls().filter((c) => !c.startsWith("systemctl is-active"));
        const calls = actions().length;
        const r = node.run("k3s-install.sh", env("install"), CONFIG);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("already installed, config unchanged");
        expect(actions().length).toBe(calls);
    });

    it("reconfigures: restarts k3s only when the config really changed", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install"), CONFIG);
        const restarts = () => node.calls().filter((c) => c.startsWith("systemctl restart"));
        expect(restarts()).toHaveLength(1);
        const same = node.run("k3s-install.sh", env("reconfigure"), CONFIG);
        expect(same.stdout).toContain("config unchanged");
        expect(restarts()).toHaveLength(1);
        const changed = node.run("k3s-install.sh", env("reconfigure"), CONFIG + "node-ip: 10.0.0.21\n");
        expect(changed.status).toBe(0);
        expect(node.calls()).toContain("systemctl restart k3s-agent");
        expect(node.read("etc/rancher/k3s/config.yaml")).toContain("node-ip: 10.0.0.21");
    });

    it("upgrades only when another version runs", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install"), CONFIG);
        const same = node.run("k3s-install.sh", env("upgrade"));
        expect(same.stdout).toContain("already running; unchanged");
        const up = node.run("k3s-install.sh", env("upgrade", { TARGET_VERSION: "v1.34.1+k3s1" }));
        expect(up.status, up.stderr).toBe(0);
        expect(up.stdout).toContain("upgrading k3s v1.33.5+k3s1 -> v1.34.1+k3s1");
        expect(node.calls().filter((c) => c.startsWith("installer"))).toEqual([
            "installer version=v1.33.5+k3s1 exec=agent args= skip_start=true skip_download=",
            "installer version=v1.34.1+k3s1 exec=agent args= skip_start=true skip_download=",
        ]);
        // The config (and token) survive the upgrade untouched.
        expect(node.read("etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    });

    it("restarts an upgraded node's k3s and returns without waiting: the Ready gate waits, while k3s starts", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install", { ROLE: "server" }), CONFIG);
        fs.writeFileSync(node.log, "");
        const up = node.run("k3s-install.sh", env("upgrade", { ROLE: "server", TARGET_VERSION: "v1.34.1+k3s1" }));
        expect(up.status, up.stderr).toBe(0);
        expect(up.stdout).toContain("k3s restarted at v1.34.1+k3s1; the Ready gate waits for the node");
        const calls = node.calls();
        expect(calls).toContain("systemctl restart --no-block k3s");
        // Nothing polled or watched after the restart.
        const after = calls.slice(calls.indexOf("systemctl restart --no-block k3s") + 1);
        expect(after.filter((c) => c.startsWith("systemctl is-active") || c.startsWith("kubectl"))).toEqual([]);
    });

    it.each(["server", "agent"])("waits for the %s's Node to be Ready, as the node's own kubelet", (role) => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env("install", { ROLE: role }), CONFIG);
        expect(r.status, r.stderr).toBe(0);
        // What is left of READY_TIMEOUT (5s), whatever the machine's load; the kubelet's kubeconfig under the data dir.
        const kubelet = `${node.root}/var/lib/rancher/k3s/agent/kubelet.kubeconfig`;
        expect(node.calls()).toContainEqual(expect.stringMatching(new RegExp(`^kubectl wait --for=condition=Ready node/pi-1 --timeout=[1-5]s --kubeconfig ${kubelet}$`)));
        expect(r.stdout).toContain("active, node Ready");
    });

    it("fails an agent whose Node never turns Ready, naming the node and showing its journal", () => {
        const node = new Sandbox();
        fs.mkdirSync(path.join(node.state, "node-pi-1"), { recursive: true });
        fs.writeFileSync(path.join(node.state, "node-pi-1", "ready"), "False");
        const r = node.run("k3s-install.sh", env("install", { READY_TIMEOUT: "2" }), CONFIG);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("[pi-1] node not Ready within 2s");
        expect(r.stderr).toContain("last lines of the k3s-agent journal:");
    });

    it("leaves a server's Ready wait to the program's gate with NODE_READY_GATE=1: returns once the unit is active", () => {
        const node = new Sandbox();
        const r = node.run("k3s-install.sh", env("install", { ROLE: "server", NODE_READY_GATE: "1" }), CONFIG);
        expect(r.status, r.stderr).toBe(0);
        expect(node.calls()).toContain("systemctl restart k3s");
        expect(node.calls().filter((c) => c.startsWith("kubectl"))).toEqual([]);
        expect(r.stdout).toContain("k3s active");
    });

    it("rejects an unknown mode", () => {
        expect(new Sandbox().run("k3s-install.sh", env("reinstall")).status).toBe(2);
    });
});

describe("k3s-uninstall.sh", () => {
    it("runs k3s's uninstaller and deletes the node password so the host can rejoin; then has nothing to do", () => {
        const node = new Sandbox();
        node.run("k3s-install.sh", env("install"), CONFIG);
        node.write("etc/rancher/node/password", "stale");
        const r = node.run("k3s-uninstall.sh", {});
        expect(r.stdout).toContain("k3s uninstalled");
        expect(node.calls()).toContain("uninstaller data_dir=/var/lib/rancher/k3s");
        expect(node.exists("etc/rancher/node/password")).toBe(false);
        expect(node.run("k3s-uninstall.sh", {}).stdout).toContain("not installed; unchanged");
    });
});

/** node-ready.sh's one call that makes pi-1 schedulable and removes the drain's marks. */
const UNCORDON_PI_1 =
    'kubectl patch node pi-1 --type=merge -p {"spec":{"unschedulable":null},"metadata":{"annotations":{"picluster.io/drained-for":null,"picluster.io/cnpg-maintenance":null}}}';
/** Any call that uncordons: `kubectl uncordon`, or that patch. */
const uncordons = (call: string) => call.startsWith("kubectl uncordon") || call.startsWith("kubectl patch node");

describe("node-drain.sh and node-ready.sh on the first server", () => {
    function registered(version: string): Sandbox {
        const node = new Sandbox();
        node.installK3s();
        fs.mkdirSync(path.join(node.state, "node-pi-1"));
        fs.writeFileSync(path.join(node.state, "node-pi-1", "kubelet-version"), version);
        return node;
    }

    it("drains a node for an upgrade and uncordons it once Ready", () => {
        const node = registered("v1.33.5+k3s1");
        const drain = node.run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1" });
        expect(drain.status, drain.stderr).toBe(0);
        expect(node.calls()).toContain("kubectl drain pi-1 --ignore-daemonsets --delete-emptydir-data --timeout=300s");
        const ready = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", READY_TIMEOUT: "5" });
        expect(ready.stdout).toContain("uncordoned after upgrade to v1.34.1+k3s1");
        expect(node.calls()).toContain(UNCORDON_PI_1);
    });

    it("leaves alone a node that already runs the target version, and does not uncordon it", () => {
        const node = registered("v1.34.1+k3s1");
        const drain = node.run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1" });
        expect(drain.stdout).toContain("already runs v1.34.1+k3s1; not draining");
        node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", READY_TIMEOUT: "5" });
        expect(node.calls().some((c) => c.startsWith("kubectl drain") || uncordons(c))).toBe(false);
    });

    it("removes a node: drain, delete the Node object and its node-password secret", () => {
        const node = registered("v1.33.5+k3s1");
        const r = node.run("node-drain.sh", { MODE: "remove", NODE_NAME: "pi-1" });
        expect(r.status).toBe(0);
        expect(node.calls()).toEqual(
            expect.arrayContaining(["kubectl delete node pi-1 --wait=true", "kubectl -n kube-system delete secret pi-1.node-password.k3s --ignore-not-found"]),
        );
        expect(node.run("node-drain.sh", { MODE: "remove", NODE_NAME: "pi-1" }).stdout).toContain("not registered; nothing to do");
    });

    it("gates a registered node with one watch (kubectl wait, which also reads the annotations) before the uncordon", () => {
        const node = registered("v1.33.5+k3s1");
        node.run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1" });
        // The drain asks once whether the node is registered and what it runs.
        expect(node.calls().filter((c) => c.startsWith("kubectl get node pi-1"))).toEqual([
            "kubectl get node pi-1 -o jsonpath={.status.nodeInfo.kubeletVersion}",
        ]);
        fs.writeFileSync(node.log, "");
        const ready = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", READY_TIMEOUT: "5" });
        expect(ready.status, ready.stderr).toBe(0);
        const verbs = node.calls().map((c) => c.split(" ").slice(0, 2).join(" "));
        expect(verbs).toEqual(["kubectl wait", "kubectl patch"]);
        expect(node.calls()[1]).toBe(UNCORDON_PI_1);
        expect(node.calls()[0]).toMatch(/^kubectl wait --for=condition=Ready node\/pi-1 --timeout=\d+s -o jsonpath=/);
    });

    it("keeps a node that registered but is not Ready cordoned, and says so within the timeout", () => {
        const node = registered("v1.33.5+k3s1");
        node.run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1" });
        fs.writeFileSync(path.join(node.state, "node-pi-1", "ready"), "False");
        const ready = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" });
        expect(ready.status).toBe(1);
        expect(ready.stderr).toContain("registered but not Ready within 1s");
        expect(node.calls().some(uncordons)).toBe(false);
    });

    it("holds an upgraded node cordoned until its kubelet reports the target version, naming what it reports", () => {
        const node = registered("v1.33.5+k3s1");
        node.run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1" });
        // The old kubelet's Ready is still on the Node: not a reason to uncordon.
        const early = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", TARGET_VERSION: "v1.34.1+k3s1", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" });
        expect(early.status).toBe(1);
        expect(early.stderr).toContain("node pi-1 not Ready at k3s v1.34.1+k3s1 within 1s (it reports v1.33.5+k3s1, Ready=True)");
        expect(node.calls().some(uncordons)).toBe(false);

        fs.writeFileSync(path.join(node.state, "node-pi-1", "kubelet-version"), "v1.34.1+k3s1");
        fs.writeFileSync(node.log, "");
        const ready = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", TARGET_VERSION: "v1.34.1+k3s1", READY_TIMEOUT: "5" });
        expect(ready.status, ready.stderr).toBe(0);
        expect(ready.stdout).toContain("uncordoned after upgrade to v1.34.1+k3s1");
        // One watch on the version, which also reads Ready and the annotations; then one patch: uncordon and unmark.
        expect(node.calls().map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual(["kubectl wait", "kubectl patch"]);
        expect(node.calls()[0]).toMatch(/^kubectl wait node\/pi-1 --for=jsonpath=\{\.status\.nodeInfo\.kubeletVersion\}=v1\.34\.1\+k3s1 --timeout=\d+s -o jsonpath=/);
    });

    it("waits for Ready too when the node reports the target version but is not Ready yet", () => {
        const node = registered("v1.34.1+k3s1");
        fs.writeFileSync(path.join(node.state, "node-pi-1", "ready"), "False");
        const r = node.run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", TARGET_VERSION: "v1.34.1+k3s1", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("not Ready at k3s v1.34.1+k3s1 within 1s (it reports v1.34.1+k3s1, Ready=False)");
        expect(node.calls().filter((c) => c.startsWith("kubectl wait --for=condition=Ready"))).toHaveLength(1);
    });

    it("gives up waiting for a node that never registers", () => {
        const node = new Sandbox();
        node.installK3s();
        const r = node.run("node-ready.sh", { NODE_NAME: "ghost", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("did not register within 1s");
    });
});

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { registriesBundle } from "../../components/cluster/install/registriesFile";
import { registriesSchema } from "../../config/schema/registries";
import { Sandbox } from "./sandbox";

const PASSWORD = "hunter2-registry-password";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const spec = (endpoint: string, withCa = true) =>
    registriesSchema.parse({
        mirrors: { "docker.io": { endpoint: [endpoint] } },
        configs: { "registry.lan:5000": { auth: { username: "pi", passwordKey: "registryPassword" }, ...(withCa ? { tls: { ca: CA } } : {}) } },
    });
const bundle = (endpoint = "http://registry-cache.lan:5000", withCa = true) => registriesBundle(spec(endpoint, withCa), { registryPassword: PASSWORD });
const env = (extra: Record<string, string> = {}) => ({ ROLE: "agent", NODE_NAME: "pi-1", READY_TIMEOUT: "5", ...extra });
const restarts = (node: Sandbox) => node.calls().filter((c) => c.startsWith("systemctl restart"));

/** A node where k3s is installed (the stub answers --version). */
function k3sNode(binDir = "usr/local/bin"): Sandbox {
    const node = new Sandbox();
    node.installK3s(binDir);
    fs.writeFileSync(path.join(node.state, "version"), "v1.33.5+k3s1");
    return node;
}

describe("node-registries.sh", () => {
    it("writes registries.yaml and the CA file from stdin, 0600, owned by the user running it", () => {
        const node = k3sNode();
        const r = node.run("node-registries.sh", env(), bundle());
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const file = path.join(node.root, "etc/rancher/k3s/registries.yaml");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.statSync(file).uid).toBe(os.userInfo().uid);
        expect(node.read("etc/rancher/k3s/registries.yaml")).toContain("http://registry-cache.lan:5000");
        expect(node.read("etc/rancher/k3s/registries.yaml")).toContain("ca_file: /etc/rancher/k3s/registry-ca/registry.lan_5000.crt");
        expect(node.read("etc/rancher/k3s/registry-ca/registry.lan_5000.crt")).toBe(CA);
        expect(fs.statSync(path.join(node.root, "etc/rancher/k3s/registry-ca/registry.lan_5000.crt")).mode & 0o777).toBe(0o600);
    });

    it("restarts k3s only when the file changed, and waits until the service is back", () => {
        const node = k3sNode();
        const first = node.run("node-registries.sh", env(), bundle());
        expect(first.stdout).toContain("k3s-agent active");
        expect(restarts(node)).toEqual(["systemctl restart k3s-agent"]);
        const same = node.run("node-registries.sh", env(), bundle());
        expect(same.status).toBe(0);
        expect(same.stdout).toContain("registries unchanged");
        expect(restarts(node)).toHaveLength(1);
        const changed = node.run("node-registries.sh", env(), bundle("http://mirror-2.lan:5000"));
        expect(changed.status).toBe(0);
        expect(restarts(node)).toHaveLength(2);
        expect(node.read("etc/rancher/k3s/registries.yaml")).toContain("http://mirror-2.lan:5000");
    });

    it("restarts a k3s found only in /opt/bin, where sudo's PATH does not look", () => {
        const node = k3sNode("opt/bin");
        const r = node.run("node-registries.sh", env(), bundle());
        expect(r.status, r.stderr).toBe(0);
        expect(restarts(node)).toEqual(["systemctl restart k3s-agent"]);
    });

    it("on a server waits for the node to be Ready through kubectl", () => {
        const node = k3sNode();
        fs.mkdirSync(path.join(node.state, "node-cp-1"));
        const r = node.run("node-registries.sh", env({ ROLE: "server", NODE_NAME: "cp-1" }), bundle());
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(node.calls()).toEqual(["systemctl restart k3s", "kubectl get node cp-1", "kubectl wait --for=condition=Ready node/cp-1 --timeout=5s"]);
    });

    it("writes without restarting when k3s is not installed yet", () => {
        const node = new Sandbox();
        const r = node.run("node-registries.sh", env(), bundle());
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("k3s is not installed yet");
        expect(node.calls()).toEqual([]);
        expect(node.exists("etc/rancher/k3s/registries.yaml")).toBe(true);
    });

    it("deletes a CA file the settings no longer name, and restarts for it", () => {
        const node = k3sNode();
        node.run("node-registries.sh", env(), bundle());
        const r = node.run("node-registries.sh", env(), bundle(undefined, false));
        expect(r.status).toBe(0);
        expect(node.exists("etc/rancher/k3s/registry-ca/registry.lan_5000.crt")).toBe(false);
        expect(restarts(node)).toHaveLength(2);
    });

    it("MODE=remove deletes the files and restarts once; again, it does nothing", () => {
        const node = k3sNode();
        node.run("node-registries.sh", env(), bundle());
        node.run("node-registries.sh", env({ MODE: "remove" }));
        expect(node.exists("etc/rancher/k3s/registries.yaml")).toBe(false);
        expect(restarts(node)).toHaveLength(2);
        const again = node.run("node-registries.sh", env({ MODE: "remove" }));
        expect(again.stdout).toContain("registries unchanged");
        expect(restarts(node)).toHaveLength(2);
    });

    it("never shows the registry password in its output or the commands it runs", () => {
        const node = k3sNode();
        const r = node.run("node-registries.sh", env(), bundle());
        expect(node.read("etc/rancher/k3s/registries.yaml")).toContain(PASSWORD);
        expect(r.stdout + r.stderr).not.toContain(PASSWORD);
        expect(fs.readFileSync(node.log, "utf8")).not.toContain(PASSWORD);
    });

    it("refuses a bundle entry outside registries.yaml and registry-ca/, writing nothing", () => {
        const node = k3sNode();
        const r = node.run("node-registries.sh", env(), "#picluster-file ../config.yaml\ntoken: x\n#picluster-file registries.yaml\nmirrors: {}\n");
        expect(r.status).toBe(2);
        expect(r.stdout).toContain("refusing bundle entry '../config.yaml'");
        expect(node.exists("etc/rancher/k3s/registries.yaml")).toBe(false);
        expect(node.exists("etc/rancher/config.yaml")).toBe(false);
    });
});

import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox } from "./sandbox";

const MANIFEST = "var/lib/rancher/k3s/server/manifests/picluster-kube-vip.yaml";
const TEXT = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: kube-vip-ds, namespace: kube-system }\n";

describe("api-vip.sh place", () => {
    it("writes the manifest root-only into k3s's auto-deploy directory, and says unchanged the second time", () => {
        const node = new Sandbox();
        const first = node.run("api-vip.sh", { MODE: "place" }, TEXT);
        expect(first.status, first.stderr).toBe(0);
        expect(first.stdout).toContain("kube-vip manifest written");
        expect(node.read(MANIFEST)).toBe(TEXT);
        expect(fs.statSync(path.join(node.root, MANIFEST)).mode & 0o777).toBe(0o600);
        const again = node.run("api-vip.sh", { MODE: "place" }, TEXT);
        expect(again.stdout).toContain("kube-vip manifest unchanged");
        // Nothing but the manifest in the watched directory: the temporary file lives beside it.
        expect(fs.readdirSync(path.join(node.root, path.dirname(MANIFEST)))).toEqual(["picluster-kube-vip.yaml"]);
    });

    it("follows the node's data dir", () => {
        const node = new Sandbox();
        expect(node.run("api-vip.sh", { MODE: "place", DATA_DIR: "/mnt/ssd/k3s" }, TEXT).status).toBe(0);
        expect(node.read("mnt/ssd/k3s/server/manifests/picluster-kube-vip.yaml")).toBe(TEXT);
    });
});

describe("api-vip.sh remove", () => {
    it("deletes what the manifest made and its AddOn while the API answers, then the file (k3s would keep them)", () => {
        const node = new Sandbox();
        node.installK3s();
        node.write(MANIFEST, TEXT);
        const r = node.run("api-vip.sh", { MODE: "remove" });
        expect(r.status, r.stderr).toBe(0);
        const calls = node.calls().join("\n");
        expect(calls).toContain(`kubectl delete --ignore-not-found -f ${path.join(node.root, MANIFEST)}`);
        expect(calls).toContain("kubectl -n kube-system delete addon picluster-kube-vip --ignore-not-found");
        expect(node.exists(MANIFEST)).toBe(false);
    });

    it("only removes the file when k3s is gone (the node was uninstalled first) or its API does not answer", () => {
        for (const setup of [(n: Sandbox) => n, (n: Sandbox) => (n.installK3s(), n)]) {
            const node = setup(new Sandbox());
            node.write(MANIFEST, TEXT);
            const r = node.run("api-vip.sh", { MODE: "remove", STUB_API_DOWN: "9" });
            expect(r.status, r.stderr).toBe(0);
            expect(r.stdout).toContain("removing the manifest file only");
            expect(node.calls().filter((c) => c.includes("delete"))).toEqual([]);
            expect(node.exists(MANIFEST)).toBe(false);
        }
    });
});

describe("api-vip.sh wait", () => {
    let server: net.Server;
    let port: number;
    beforeAll(async () => {
        server = net.createServer((s) => s.destroy());
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as net.AddressInfo).port;
    });
    afterAll(() => server.close());

    it("returns once something accepts connections on VIP:PORT", () => {
        const r = new Sandbox().run("api-vip.sh", { MODE: "wait", VIP: "127.0.0.1", PORT: String(port), READY_TIMEOUT: "5", POLL_INTERVAL: "0.1" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain(`API VIP 127.0.0.1:${port} answers`);
    });

    it("fails after READY_TIMEOUT naming the VIP and where to look, when nothing announces it", () => {
        const started = Date.now();
        const r = new Sandbox().run("api-vip.sh", { MODE: "wait", VIP: "127.0.0.1", PORT: "1", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the API VIP 127.0.0.1:1 did not answer within 1s: kube-vip has not announced it.");
        expect(r.stderr).toContain("logs ds/kube-vip-ds");
        expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("refuses an unknown mode", () => {
        expect(new Sandbox().run("api-vip.sh", { MODE: "announce" }).status).toBe(2);
    });
});

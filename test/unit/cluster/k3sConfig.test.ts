import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { apiEndpointOf, apiServerUrl, renderK3sConfig, rewriteKubeconfig } from "../../../components/cluster/k3sConfig";
import { clusterSchema } from "../../../stacks/schema/cluster";
import { agent, clusterWith, server } from "../../helpers/stacks";

const single = clusterSchema.parse(clusterWith([server(), agent("pi-1", "10.0.0.21")]));
const ha = clusterSchema.parse(clusterWith([server("cp-1", "10.0.0.10"), server("cp-2", "10.0.0.11"), agent("pi-1", "10.0.0.21")], { apiEndpoint: "10.0.0.10" }));

const render = (cluster: typeof single, node: number, role: "init" | "join-server" | "agent") =>
    yaml.load(renderK3sConfig({ cluster, node: cluster.nodes[node], role, token: "T0K3N", serverUrl: apiServerUrl(apiEndpointOf(cluster)) })) as Record<string, unknown>;

describe("k3s config", () => {
    it("gives the first server of a single-server cluster no cluster-init and no server URL", () => {
        const c = render(single, 0, "init");
        expect(c).toMatchObject({ token: "T0K3N", "node-name": "cp-1", "write-kubeconfig-mode": "0600", "flannel-backend": "vxlan", "secrets-encryption": true });
        expect(c["cluster-init"]).toBeUndefined();
        expect(c.server).toBeUndefined();
        expect(c["tls-san"]).toEqual(["10.0.0.10"]);
    });

    it("starts embedded etcd with snapshots when there are several servers", () => {
        const first = render(ha, 0, "init");
        expect(first["cluster-init"]).toBe(true);
        expect(first["etcd-snapshot-retention"]).toBe(10);
        const second = render(ha, 1, "join-server");
        expect(second.server).toBe("https://10.0.0.10:6443");
        expect(second["cluster-init"]).toBeUndefined();
        expect(second["tls-san"]).toEqual(["10.0.0.10", "10.0.0.11"]);
    });

    it("gives agents only the server, token, name and data dir", () => {
        const cluster = clusterSchema.parse(clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), dataDir: "/mnt/ssd" }]));
        expect(render(cluster, 1, "agent")).toEqual({ token: "T0K3N", "node-name": "pi-1", server: "https://10.0.0.10:6443", "data-dir": "/mnt/ssd/k3s" });
    });

    it("puts k3s data and local-path volumes on a server's dataDir", () => {
        const cluster = clusterSchema.parse(clusterWith([{ ...server(), dataDir: "/mnt/ssd" }]));
        expect(render(cluster, 0, "init")).toMatchObject({ "data-dir": "/mnt/ssd/k3s", "default-local-storage-path": "/mnt/ssd/storage" });
    });

    it("renders identically for identical inputs (no spurious diffs)", () => {
        const args = { cluster: ha, node: ha.nodes[0], role: "init" as const, token: "x", serverUrl: "https://a:6443" };
        expect(renderK3sConfig(args)).toBe(renderK3sConfig(args));
    });

    it("builds API URLs with the default port unless one is given", () => {
        expect(apiServerUrl("10.0.0.10")).toBe("https://10.0.0.10:6443");
        expect(apiServerUrl("127.0.0.1:16443")).toBe("https://127.0.0.1:16443");
        expect(apiEndpointOf(single)).toBe("10.0.0.10");
    });
});

describe("kubeconfig rewrite", () => {
    const k3sWritten = yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0E=" } }],
        contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
        users: [{ name: "default", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }],
        "current-context": "default",
    });

    it("points the server at the API endpoint and names the context", () => {
        const out = yaml.load(rewriteKubeconfig(k3sWritten, "https://10.0.0.10:6443", "picluster-pi")) as Record<string, any>;
        expect(out.clusters[0]).toEqual({ name: "picluster-pi", cluster: { server: "https://10.0.0.10:6443", "certificate-authority-data": "Q0E=" } });
        expect(out.contexts[0].context).toEqual({ cluster: "picluster-pi", user: "picluster-pi" });
        expect(out["current-context"]).toBe("picluster-pi");
        expect(out.users[0].user["client-key-data"]).toBe("S0VZ");
    });

    it("is stable: the same input always gives the same bytes", () => {
        expect(rewriteKubeconfig(k3sWritten, "https://x:6443", "c")).toBe(rewriteKubeconfig(k3sWritten, "https://x:6443", "c"));
    });

    it("explains an empty kubeconfig instead of crashing", () => {
        expect(() => rewriteKubeconfig("", "https://x:6443", "c")).toThrow(/no clusters/);
    });
});

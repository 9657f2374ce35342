import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { renderK3sConfig, rewriteKubeconfig } from "../../../components/cluster/install/k3sConfig";
import { apiEndpointOf, apiServerUrl } from "../../../plan/topology";
import { clusterSchema } from "../../../config/schema/cluster";
import { agent, clusterWith, server } from "../../helpers/stacks";

const single = clusterSchema.parse(clusterWith([server(), agent("pi-1", "10.0.0.21")]));
const ha = clusterSchema.parse(clusterWith([server("cp-1", "10.0.0.10"), server("cp-2", "10.0.0.11"), agent("pi-1", "10.0.0.21")], { apiEndpoint: "10.0.0.10" }));

const CA = "ab".repeat(32);
const tokens = { server: "T0K3N", agent: "AG3NT", caHash: CA };
const render = (cluster: typeof single, node: number, role: "init" | "join-server" | "agent") =>
    yaml.load(renderK3sConfig({ cluster, node: cluster.nodes[node], role, tokens, serverUrl: apiServerUrl(apiEndpointOf(cluster)) })) as Record<string, unknown>;

describe("k3s config", () => {
    it("gives the first server of a single-server cluster no cluster-init and no server URL", () => {
        const c = render(single, 0, "init");
        expect(c).toMatchObject({ token: "T0K3N", "agent-token": "AG3NT", "node-name": "cp-1", "write-kubeconfig-mode": "0600", "flannel-backend": "vxlan", "secrets-encryption": true });
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
        // A joining server keeps the server token, with the cluster CA pinned.
        expect(second.token).toBe(`K10${CA}::server:T0K3N`);
        expect(second["cluster-init"]).toBeUndefined();
        expect(second["tls-san"]).toEqual(["10.0.0.10", "10.0.0.11"]);
    });

    it("gives agents only the server, the agent token in CA-pinning secure format, name and data dir", () => {
        const cluster = clusterSchema.parse(clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), dataDir: "/mnt/ssd" }]));
        const config = render(cluster, 1, "agent");
        expect(config).toEqual({ token: `K10${CA}::node:AG3NT`, "node-name": "pi-1", server: "https://10.0.0.10:6443", "data-dir": "/mnt/ssd/k3s" });
        expect(JSON.stringify(config)).not.toContain("T0K3N");
    });

    it("refuses to render a joining node's token without a real CA hash", () => {
        expect(() =>
            renderK3sConfig({ cluster: single, node: single.nodes[1], role: "agent", tokens: { ...tokens, caHash: "" }, serverUrl: "https://10.0.0.10:6443" }),
        ).toThrow(/CA hash read from the first server is not a sha256/);
    });

    it("rotating the agent token changes agents' tokens and servers' agent-token, never the server token", () => {
        const before = [render(single, 0, "init"), render(single, 1, "agent")];
        const rotated = { ...tokens, agent: "N3W" };
        const after = [0, 1].map(
            (i) =>
                yaml.load(renderK3sConfig({ cluster: single, node: single.nodes[i], role: i === 0 ? "init" : "agent", tokens: rotated, serverUrl: "https://10.0.0.10:6443" })) as Record<string, unknown>,
        );
        expect(after[0]).toEqual({ ...before[0], "agent-token": "N3W" });
        expect(after[1]).toEqual({ ...before[1], token: `K10${CA}::node:N3W` });
    });

    it("brackets IPv6 endpoints in URLs and puts the bare address in tls-san", () => {
        expect(apiServerUrl("fd00::10")).toBe("https://[fd00::10]:6443");
        expect(apiServerUrl("[fd00::10]")).toBe("https://[fd00::10]:6443");
        expect(apiServerUrl("[fd00::10]:7443")).toBe("https://[fd00::10]:7443");
        const v6 = clusterSchema.parse(clusterWith([server("cp-1", "fd00::10")], { apiEndpoint: "fd00::10" }));
        expect(render(v6, 0, "init")["tls-san"]).toEqual(["fd00::10"]);
    });

    it("puts k3s data and local-path volumes on a server's dataDir", () => {
        const cluster = clusterSchema.parse(clusterWith([{ ...server(), dataDir: "/mnt/ssd" }]));
        expect(render(cluster, 0, "init")).toMatchObject({ "data-dir": "/mnt/ssd/k3s", "default-local-storage-path": "/mnt/ssd/storage" });
    });

    it("renders identically for identical inputs (no spurious diffs)", () => {
        const args = { cluster: ha, node: ha.nodes[0], role: "init" as const, tokens, serverUrl: "https://a:6443" };
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

    it("uses the admin token as the only credential, so rotating it changes the user's token and nothing else", () => {
        const a = yaml.load(rewriteKubeconfig(k3sWritten, "https://10.0.0.10:6443", "picluster-pi", "tok-1")) as Record<string, any>;
        const b = yaml.load(rewriteKubeconfig(k3sWritten, "https://10.0.0.10:6443", "picluster-pi", "tok-2")) as Record<string, any>;
        expect(a.users).toEqual([{ name: "picluster-pi", user: { token: "tok-1" } }]);
        expect({ ...b, users: undefined }).toEqual({ ...a, users: undefined });
        expect(b.users[0].user).toEqual({ token: "tok-2" });
    });

    it("explains an empty kubeconfig instead of crashing", () => {
        expect(() => rewriteKubeconfig("", "https://x:6443", "c")).toThrow(/no clusters/);
    });
});

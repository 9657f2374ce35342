import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config/load";
import { objectSource } from "../../config/source";
import { DEFAULT_INSTALLER, installerUrl } from "../../config/schema/cluster";
import { agent, clusterWith, server, stackSource, TEST_SSH_KEY } from "../helpers/stacks";

/** Loads a config with the test key as a secret and returns its problems (empty when valid). */
function problemsOf(values: Record<string, unknown>, secretKeys: string[] = ["sshPrivateKey"]): string[] {
    try {
        loadConfig(objectSource("test", { sshPrivateKey: TEST_SSH_KEY, ...values }, secretKeys));
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

function onlyProblem(values: Record<string, unknown>, secretKeys?: string[]): string {
    const problems = problemsOf(values, secretKeys);
    expect(problems).toHaveLength(1);
    return problems[0];
}

describe("the config contract", () => {
    it("accepts the committed pi and dev stacks", () => {
        expect(loadConfig(stackSource("pi")).cluster.nodes.map((n) => n.name)).toEqual(["cp-1", "pi-1", "pi-2", "pi-3", "pi-4"]);
        expect(loadConfig(stackSource("dev")).cluster.nodes).toHaveLength(1);
    });

    it("fills defaults: ssh port 22, no labels, the installer of the pinned release", () => {
        const c = loadConfig(objectSource("t", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith([server()]) }, ["sshPrivateKey"]));
        expect(c.cluster.nodes[0]).toMatchObject({ sshPort: 22, labels: {}, taints: [], gpu: false });
        expect(installerUrl(c.cluster)).toBe(DEFAULT_INSTALLER.url);
        expect(c.cluster.prepare).toBe(false);
    });

    it("refuses a cluster without a server node", () => {
        const p = onlyProblem({ cluster: clusterWith([agent("pi-1", "10.0.0.21")]) });
        expect(p).toContain("picluster:cluster.nodes");
        expect(p).toContain("role: server");
    });

    it("refuses duplicate node names, naming both entries", () => {
        const p = onlyProblem({ cluster: clusterWith([server(), agent("cp-1", "10.0.0.21")]) });
        expect(p).toContain("picluster:cluster.nodes[1].name");
        expect(p).toContain("nodes[0]");
    });

    it("refuses two nodes on the same host and ssh port", () => {
        const p = onlyProblem({ cluster: clusterWith([server(), agent("pi-1", "10.0.0.10")]) });
        expect(p).toMatch(/picluster:cluster\.nodes\[1\]\.host = .*10\.0\.0\.10:22/);
    });

    it("accepts two nodes on one host with different ssh ports", () => {
        expect(problemsOf({ cluster: clusterWith([server(), { ...agent("pi-1", "10.0.0.10"), sshPort: 2222 }]) })).toEqual([]);
    });

    it("refuses an unknown role and an unknown arch with the allowed values", () => {
        const problems = problemsOf({ cluster: clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), role: "worker", arch: "x86_64" }]) });
        expect(problems).toHaveLength(2);
        expect(problems.find((p) => p.includes("nodes[1].role"))).toMatch(/"worker".*'server' or 'agent'/);
        expect(problems.find((p) => p.includes("nodes[1].arch"))).toMatch(/"x86_64".*amd64.*arm64/);
    });

    it("requires k3sVersion", () => {
        const p = onlyProblem({ cluster: { nodes: [server()] } });
        expect(p).toContain("picluster:cluster.k3sVersion = (unset)");
        expect(p).toContain("v1.33.5+k3s1");
    });

    it.each(["stable", "latest", "v1.33", "1.33.5", "v1.33.5"])("refuses the unpinned k3sVersion %s", (v) => {
        const p = onlyProblem({ cluster: clusterWith([server()], { k3sVersion: v }) });
        expect(p).toContain(`picluster:cluster.k3sVersion = "${v}"`);
        expect(p).toContain("pinned k3s release");
    });

    it.each(["pi_1.local", "300.1.1.1", "host name", "-bad.example"])("refuses the malformed host %s", (host) => {
        const p = onlyProblem({ cluster: clusterWith([{ ...server(), host }]) });
        expect(p).toContain("picluster:cluster.nodes[0].host");
        expect(p).toContain("not a valid hostname");
    });

    it("refuses an apiEndpoint that is no server's host, listing the ones that are", () => {
        const p = onlyProblem({ cluster: clusterWith([server(), agent("pi-1", "10.0.0.21")], { apiEndpoint: "10.0.0.21" }) });
        expect(p).toContain("picluster:cluster.apiEndpoint");
        expect(p).toContain("[10.0.0.10]");
        expect(p).toContain("tlsSans");
    });

    it("accepts an apiEndpoint with a port, or a load balancer listed in tlsSans", () => {
        expect(problemsOf({ cluster: clusterWith([server()], { apiEndpoint: "10.0.0.10:16443" }) })).toEqual([]);
        expect(problemsOf({ cluster: clusterWith([server()], { apiEndpoint: "k8s.lan", tlsSans: ["k8s.lan"] }) })).toEqual([]);
    });

    it("refuses a kubeconfig together with nodes", () => {
        const p = onlyProblem({ cluster: clusterWith([server()], { kubeconfig: "apiVersion: v1" }) }, ["sshPrivateKey", "cluster"]);
        expect(p).toContain("picluster:cluster.kubeconfig = (secret)");
        expect(p).toContain("either bootstrap the nodes");
        expect(p).not.toContain("apiVersion: v1");
    });

    it("refuses a plain-text kubeconfig for an existing cluster", () => {
        const p = onlyProblem({ cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: "apiVersion: v1" } });
        expect(p).toContain("cluster.kubeconfig is stored in plain text");
        expect(p).toContain("--secret");
    });

    it("targets an existing cluster from a secret kubeconfig without needing an SSH key", () => {
        const c = loadConfig(objectSource("t", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: "apiVersion: v1" } }, ["cluster"]));
        expect(c.existingCluster).toBe(true);
        expect(c.sshPrivateKey).toBeUndefined();
    });

    it.each([
        [{ "bad key!": "x" }, "labels.bad key!"],
        [{ "picluster.io/tier": "has space" }, 'labels.picluster.io/tier = "has space"'],
        [{ "UPPER_Prefix.io/x": "y" }, "labels.UPPER_Prefix.io/x"],
    ])("refuses the invalid label %j", (labels, where) => {
        const p = onlyProblem({ cluster: clusterWith([{ ...server(), labels }]) });
        expect(p).toContain(`picluster:cluster.nodes[0].${where}`);
        expect(p).toMatch(/label (key|value)/);
    });

    it.each(["gpu=true", "gpu=true:Sometimes", "bad key=x:NoSchedule", "=x:NoSchedule"])("refuses the invalid taint %s", (t) => {
        const p = onlyProblem({ cluster: clusterWith([{ ...server(), taints: [t] }]) });
        expect(p).toContain("picluster:cluster.nodes[0].taints[0]");
        expect(p).toContain("key[=value]:Effect");
    });

    it("parses taints into key, value and effect", () => {
        const c = loadConfig(objectSource("t", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith([{ ...server(), taints: ["gpu=true:NoSchedule", "dedicated:NoExecute"] }]) }, ["sshPrivateKey"]));
        expect(c.cluster.nodes[0].taints).toEqual([
            { key: "gpu", value: "true", effect: "NoSchedule" },
            { key: "dedicated", effect: "NoExecute" },
        ]);
    });

    it("refuses a private key stored in plain text, without printing it", () => {
        const p = onlyProblem({ cluster: clusterWith([server()]) }, []);
        expect(p).toContain("picluster:sshPrivateKey is stored in plain text");
        expect(p).toContain("pulumi config set --secret sshPrivateKey");
        expect(p).not.toContain("test-key-material");
    });

    it("refuses a missing private key when nodes need it", () => {
        const problems = (() => {
            try {
                loadConfig(objectSource("t", { cluster: clusterWith([server()]) }));
                return [];
            } catch (e) {
                return (e as ConfigError).problems;
            }
        })();
        expect(problems).toEqual([expect.stringContaining("picluster:sshPrivateKey is missing")]);
    });

    it("resolves a node's own key by name and refuses a reference to a missing key", () => {
        const ok = loadConfig(
            objectSource("t", { sshPrivateKey: TEST_SSH_KEY, piKey: "other", cluster: clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), sshKey: "piKey" }]) }, [
                "sshPrivateKey",
                "piKey",
            ]),
        );
        expect(Object.keys(ok.nodeKeys).sort()).toEqual(["cp-1", "pi-1"]);
        const p = onlyProblem({ cluster: clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), sshKey: "piKey" }]) });
        expect(p).toContain('picluster:cluster.nodes[1].sshKey = "piKey"');
    });

    it("refuses unknown keys so typos never pass silently", () => {
        const p = onlyProblem({ cluster: clusterWith([{ ...server(), lables: { a: "b" } }]) });
        expect(p).toContain("picluster:cluster.nodes[0]");
        expect(p).toContain("lables");
    });

    it("refuses a GPU on an arm64 node", () => {
        const p = onlyProblem({ cluster: clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), gpu: true }]) });
        expect(p).toContain("picluster:cluster.nodes[1].gpu");
    });

    it("reports every problem of every key in one error", () => {
        const problems = problemsOf({
            cluster: clusterWith([{ ...agent("pi-1", "bad host") }, { ...agent("pi-1", "10.0.0.22"), arch: "riscv" }], { k3sVersion: "latest" }),
        });
        expect(problems.length).toBeGreaterThanOrEqual(4);
        const err = new ConfigError(problems);
        expect(err.message).toMatch(/^picluster configuration has \d+ problems; nothing was changed:/);
    });
});

import { planStack } from "../../../plan/plan";
import { planCluster } from "../../../plan/cluster";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { K3sCluster } from "../../../components/cluster/k3sCluster";
import { Picluster } from "../../../components/picluster";
import { loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import {
    dependencyNames,
    isSecret,
    MOCK_ADMIN_TOKEN,
    MOCK_CA_HASH,
    MOCK_CLIENT_KEY,
    plainOccurrences,
    recorder,
    RecordedResource,
    RegisteredResource,
    registeredResources,
    resetRegistry,
    unwrapSecrets,
    valueOf,
} from "../../helpers/mocks";
import { stackSource, TEST_SSH_KEY } from "../../helpers/stacks";

const CLIENT_KEY = MOCK_CLIENT_KEY;

const byName = (list: RecordedResource[], name: string) => {
    const r = list.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}; have ${list.map((x) => x.name).join(", ")}`);
    return r;
};

describe("K3sCluster on the pi stack", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    let platform: Picluster;

    beforeAll(async () => {
        resetRegistry();
        platform = new Picluster("picluster", planStack(stackSource("pi")), { transformations: [rec.transform] });
        await valueOf(platform.kubeconfig);
        registered = await registeredResources();
    });

    it("registers one install per node, on that node's host", () => {
        const installs = registered.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-install"));
        expect(installs.map((r) => r.name).sort()).toEqual(["cp-1-install", "pi-1-install", "pi-2-install", "pi-3-install", "pi-4-install"]);
        const pi3 = installs.find((r) => r.name === "pi-3-install") as RegisteredResource;
        expect(unwrapSecrets(pi3.inputs.connection)).toMatchObject({ host: "192.168.1.23", user: "pi", port: 22 });
    });

    it("installs the pinned k3s version and uninstalls on delete", () => {
        const install = byName(rec.resources, "pi-1-install");
        const reg = registered.find((r) => r.name === "pi-1-install") as RegisteredResource;
        expect(reg.inputs.create).toContain("TARGET_VERSION=v1.33.5+k3s1");
        expect(reg.inputs.create).toContain("MODE=install");
        expect(reg.inputs.update).toContain("MODE=reconfigure");
        expect(reg.inputs.delete).toContain("k3s-uninstall.sh");
        // Version changes must not re-run the install on every node at once.
        expect(install.opts.ignoreChanges).toEqual(["create"]);
    });

    it("joins agents once the server is installed, in parallel: each depends on the server and its own preinstall, none on another agent", async () => {
        for (const agent of ["pi-1", "pi-2", "pi-3", "pi-4"]) {
            expect(await dependencyNames(byName(rec.resources, `${agent}-install`).opts)).toEqual(["cp-1-install", `${agent}-preinstall`]);
        }
        expect(await dependencyNames(byName(rec.resources, "cp-1-install").opts)).toEqual([]);
    });

    it("installs k3s on every joining node, not started, once the first server's k3s has started (its CA read), not after its install", async () => {
        const preinstalls = registered.filter((r) => r.name.endsWith("-preinstall")).map((r) => r.name);
        expect(preinstalls.sort()).toEqual(["pi-1-preinstall", "pi-2-preinstall", "pi-3-preinstall", "pi-4-preinstall"]);
        for (const agent of ["pi-1", "pi-2", "pi-3", "pi-4"]) {
            const step = byName(rec.resources, `${agent}-preinstall`);
            expect(await dependencyNames(step.opts)).toEqual(["cluster-ca-hash"]);
            // A version change goes through the upgrade chain, not here.
            expect(step.opts.ignoreChanges).toEqual(["create"]);
            const reg = registered.find((r) => r.name === `${agent}-preinstall`) as RegisteredResource;
            expect(reg.inputs.create).toContain("MODE=preinstall");
            expect(reg.inputs.create).toContain("TARGET_VERSION=v1.33.5+k3s1");
            // No config (and so no token) goes to it.
            expect(reg.inputs.stdin).toBeUndefined();
            expect(reg.inputs.update).toBeUndefined();
            expect(reg.inputs.delete).toBeUndefined();
        }
    });

    it("rolls upgrades one node at a time, servers first, in declared order", async () => {
        expect(await dependencyNames(byName(rec.resources, "cp-1-drain").opts)).toEqual(["cp-1-install"]);
        expect(await dependencyNames(byName(rec.resources, "pi-1-drain").opts)).toEqual(["cp-1-upgrade", "pi-1-install"]);
        expect(await dependencyNames(byName(rec.resources, "pi-4-drain").opts)).toEqual(["pi-3-upgrade", "pi-4-install"]);
        expect(await dependencyNames(byName(rec.resources, "pi-2-upgrade").opts)).toEqual(["pi-2-drain"]);
        expect(await dependencyNames(byName(rec.resources, "pi-2-ready").opts)).toEqual(["pi-2-upgrade"]);
    });

    it("has each drain wait, on the first server, until the previous batch is back before it drains", () => {
        const update = (name: string) => String((registered.find((r) => r.name === name) as RegisteredResource).inputs.update);
        expect(update("pi-1-drain")).toMatch(/ AFTER_NODES=cp-1 /);
        expect(update("pi-4-drain")).toMatch(/ AFTER_NODES=pi-3 /);
        expect(update("pi-4-drain")).toMatch(/ READY_TIMEOUT=300 /);
        // The first batch has nothing to wait for.
        expect(update("cp-1-drain")).not.toMatch(/ AFTER_NODES=/);
    });

    it("gates a joining node's first Ready on its own install, so a first up checks all agents at once", async () => {
        const cluster = platform.cluster as K3sCluster;
        for (const agent of ["pi-1", "pi-2", "pi-3", "pi-4"]) {
            const node = cluster.nodeResources[agent];
            expect(node.joined).toBeUndefined();
            expect(node.up).toBe(node.install);
            // The install waits for the Node itself (no NODE_READY_GATE).
            expect((registered.find((x) => x.name === `${agent}-install`) as RegisteredResource).inputs.create).not.toContain("NODE_READY_GATE=1");
        }
        expect(registered.filter((x) => x.name.endsWith("-joined")).map((x) => x.name)).toEqual(["cp-1-joined"]);
    });

    it("lets the first server's install return once k3s is active, its Node's Ready wait a step of its own on it", async () => {
        const cluster = platform.cluster as K3sCluster;
        expect(cluster.nodeResources["cp-1"].up).toBe(cluster.nodeResources["cp-1"].joined);
        expect((registered.find((x) => x.name === "cp-1-install") as RegisteredResource).inputs.create).toContain("NODE_READY_GATE=1");
        const joined = registered.find((x) => x.name === "cp-1-joined") as RegisteredResource;
        expect(joined.inputs.create).toContain("UNCORDON=0");
        expect(unwrapSecrets(joined.inputs.connection)).toMatchObject({ host: "192.168.1.10" });
        expect(await dependencyNames(byName(rec.resources, "cp-1-joined").opts)).toEqual(["cp-1-install"]);
    });

    it("runs nothing for the upgrade steps on create, only on a version change", () => {
        for (const step of ["drain", "upgrade", "ready"]) {
            const r = registered.find((x) => x.name === `pi-1-${step}`) as RegisteredResource;
            expect(r.inputs.create).toBeUndefined();
            expect(r.inputs.update).toContain("TARGET_VERSION=v1.33.5+k3s1");
        }
    });

    it("drains and deletes a removed node from the first server before uninstalling it", () => {
        const drain = registered.find((x) => x.name === "pi-2-drain") as RegisteredResource;
        expect(unwrapSecrets(drain.inputs.connection)).toMatchObject({ host: "192.168.1.10" });
        expect(drain.inputs.delete).toContain("MODE=remove");
        expect(drain.inputs.delete).toContain("NODE_NAME=pi-2");
    });

    it("checks every node before installing, fixing what it can because the pi stack sets prepare", () => {
        const names = registered.map((r) => r.name);
        for (const n of ["cp-1", "pi-1", "pi-2", "pi-3", "pi-4"]) {
            expect(names).toContain(`${n}-prepare`);
            expect(names).toContain(`${n}-preflight`);
        }
        const prepare = registered.find((r) => r.name === "pi-1-prepare") as RegisteredResource;
        expect(prepare.inputs.create).toContain("PREPARE=1");
        expect(prepare.inputs.create).toContain("DECLARED_ARCH=arm64");
    });

    it("sends each node's k3s config with its token only as a secret on stdin; agents never get the server token", async () => {
        const cluster = platform.cluster as K3sCluster;
        const [serverToken, agentToken] = [await valueOf(cluster.joinToken), await valueOf(cluster.agentToken)];
        expect(agentToken).not.toBe(serverToken);
        const stdinOf = (n: string) => JSON.stringify(unwrapSecrets((registered.find((r) => r.name === n) as RegisteredResource).inputs.stdin));
        const install = registered.find((r) => r.name === "pi-1-install") as RegisteredResource;
        expect(plainOccurrences(install.inputs, agentToken)).toEqual([]);
        expect(await isSecret(cluster.nodeResources["pi-1"].install.stdin as any)).toBe(true);
        expect(stdinOf("pi-1-install")).toContain(`token: K10${MOCK_CA_HASH}::node:${agentToken}`);
        expect(stdinOf("pi-1-install")).toContain("server: https://192.168.1.10:6443");
        for (const agent of ["pi-1", "pi-2", "pi-3", "pi-4"]) expect(stdinOf(`${agent}-install`)).not.toContain(serverToken);
        expect(stdinOf("cp-1-install")).toContain(`token: ${serverToken}`);
        expect(stdinOf("cp-1-install")).toContain(`agent-token: ${agentToken}`);
    });

    it("reads the cluster CA hash on the first server beside its install, not after it, for the agents' tokens", async () => {
        const ca = registered.find((r) => r.name === "cluster-ca-hash") as RegisteredResource;
        expect(ca.inputs.create).toContain("ca-hash.sh");
        expect(ca.inputs.create).toContain("DATA_DIR=/var/lib/rancher/k3s");
        expect(ca.inputs.create).toContain("READY_TIMEOUT=300");
        expect(unwrapSecrets(ca.inputs.connection)).toMatchObject({ host: "192.168.1.10" });
        // What the first server's install waits for on that node (its registries.yaml), never the install itself.
        const deps = await dependencyNames(byName(rec.resources, "cluster-ca-hash").opts);
        expect(deps).not.toContain("cp-1-install");
        expect(deps).toEqual((await dependencyNames(byName(rec.resources, "cp-1-install").opts)).filter((d) => d !== "cp-1-install"));
        expect(byName(rec.resources, "cluster-ca-hash").opts.ignoreChanges).toEqual(["create", "triggers"]);
    });

    it("bounds every wait by the configured timeouts and uninstalls with the node's data dir", () => {
        const install = registered.find((r) => r.name === "pi-1-install") as RegisteredResource;
        expect(install.inputs.create).toContain("READY_TIMEOUT=300");
        expect(install.inputs.delete).toContain("DATA_DIR=/var/lib/rancher/k3s");
        expect((registered.find((r) => r.name === "pi-1-drain") as RegisteredResource).inputs.update).toContain("DRAIN_TIMEOUT=300");
        expect((registered.find((r) => r.name === "cp-1-joined") as RegisteredResource).inputs.create).toContain("READY_TIMEOUT=300");
        expect((registered.find((r) => r.name === "cluster-ca-hash") as RegisteredResource).inputs.create).toContain("READY_TIMEOUT=300");
        expect((registered.find((r) => r.name === "pi-1-ready") as RegisteredResource).inputs.update).toContain("READY_TIMEOUT=300");
    });

    it("never puts the join token, SSH key or kubeconfig client key in plain inputs", async () => {
        const token = await valueOf((platform.cluster as K3sCluster).joinToken);
        const agentToken = await valueOf((platform.cluster as K3sCluster).agentToken);
        for (const needle of [token, agentToken, "test-key-material", CLIENT_KEY]) {
            const leaks = registered.flatMap((r) => plainOccurrences(r.inputs, needle).map((p) => `${r.name}.${p}`));
            expect(leaks, `plain occurrences of ${needle.slice(0, 12)}…`).toEqual([]);
        }
    });

    it("exports a secret kubeconfig pointing at the API endpoint", async () => {
        expect(await isSecret(platform.kubeconfig)).toBe(true);
        const kc = yaml.load(await valueOf(platform.kubeconfig)) as Record<string, any>;
        expect(kc.clusters[0].cluster.server).toBe("https://192.168.1.10:6443");
        expect(kc["current-context"]).toBe("picluster-pi");
    });

    it("authenticates with a non-expiring admin ServiceAccount token, not k3s.yaml's one-year client certificate", async () => {
        const kc = yaml.load(await valueOf(platform.kubeconfig)) as Record<string, any>;
        expect(kc.users).toEqual([{ name: "picluster-pi", user: { token: MOCK_ADMIN_TOKEN } }]);
        const cred = registered.find((r) => r.name === "cluster-admin-credential") as RegisteredResource;
        expect(cred.inputs.create).toContain("MODE=create");
        expect(cred.inputs.delete).toContain("MODE=delete");
        expect(cred.inputs.logging).toBe("none");
        const opts = byName(rec.resources, "cluster-admin-credential").opts;
        expect(opts.additionalSecretOutputs).toContain("stdout");
        // Rotation (--replace) deletes the old Secret before making the new one.
        expect(opts.deleteBeforeReplace).toBe(true);
    });

    it("identifies the cluster by its CA, so a rotated credential updates the provider instead of replacing every resource", () => {
        const provider = registered.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "cluster-k8s") as RegisteredResource;
        expect(provider.inputs.clusterIdentifier).toBe(`k3s-ca-sha256:${MOCK_CA_HASH}`);
    });

    it("reads the kubeconfig once, hidden from logs, re-read only if the first server is reinstalled", () => {
        const kc = registered.find((r) => r.name === "cluster-kubeconfig") as RegisteredResource;
        expect(kc.inputs.logging).toBe("none");
        expect(kc.inputs.triggers).toEqual(["cp-1-install-id"]);
        expect(byName(rec.resources, "cluster-kubeconfig").opts.additionalSecretOutputs).toContain("stdout");
    });

    it("applies labels and taints with the cluster's provider, after the node is Ready and any repair of it", async () => {
        const patches = registered.filter((r) => r.type === "kubernetes:core/v1:NodePatch");
        expect(patches).toHaveLength(5);
        for (const p of patches) expect(p.provider).toMatch(/::cluster-k8s::/);
        const pi1 = patches.find((p) => (p.inputs.metadata as any).name === "pi-1") as RegisteredResource;
        expect((pi1.inputs.metadata as any).labels).toEqual({ "node-role.kubernetes.io/worker": "true", "picluster.io/tier": "worker" });
        expect(await dependencyNames(byName(rec.resources, "pi-1-metadata").opts)).toEqual(["pi-1-install", "pi-1-observed", "pi-1-ready"]);
    });

    it("gives every Kubernetes resource the cluster's provider explicitly", () => {
        const k8sResources = rec.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
        expect(k8sResources.length).toBeGreaterThan(0);
        for (const r of k8sResources) expect(r.opts.provider, r.name).toBeDefined();
    });

    it("pins a declared SSH host key", () => {
        const src = stackSource("pi");
        const values = src.get("cluster") as any;
        values.nodes[1].hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample";
        const cfg = loadConfig(objectSource("pi", { cluster: values, sshPrivateKey: TEST_SSH_KEY }, ["sshPrivateKey"]));
        const c = new K3sCluster("hk", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys });
        return valueOf(c.nodeResources["pi-1"].install.connection).then((conn) => {
            expect(conn?.hostKey).toBe("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample");
        });
    });
});

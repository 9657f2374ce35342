import { beforeAll, describe, expect, it } from "vitest";
import { planCluster } from "../../../plan/cluster";
import { K3sCluster } from "../../../components/cluster/k3sCluster";
import { loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { dependencyNames, recorder, RegisteredResource, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";
import { agent, clusterWith, server, TEST_SSH_KEY } from "../../helpers/stacks";

const SHA = (c: string) => c.repeat(64);
const artifacts = {
    installScript: { path: "artifacts/install.sh", sha256: SHA("a") },
    k3s: { amd64: { path: "artifacts/k3s", sha256: SHA("b") }, arm64: { path: "artifacts/k3s-arm64", sha256: SHA("c") } },
};

describe("artifact mode stages every node's artifacts before its drain", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    const deps = (name: string) => dependencyNames((rec.resources.find((r) => r.name === name) as { opts: object }).opts);

    beforeAll(async () => {
        resetRegistry();
        const nodes = [server("cp-1", "10.0.0.10"), agent("pi-1", "10.0.0.21"), agent("pi-2", "10.0.0.22")];
        const cfg = loadConfig(objectSource("staged", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith(nodes, { artifacts }) }, ["sshPrivateKey"]));
        const c = new K3sCluster("cluster", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(c.kubeconfig);
        registered = await registeredResources();
    });

    it("stages right after the node's own copies, waiting for no other node", async () => {
        expect(await deps("pi-2-stage")).toEqual(["pi-2-artifact-installer", "pi-2-artifact-k3s"]);
        const stage = registered.find((r) => r.name === "pi-2-stage") as RegisteredResource;
        expect(stage.inputs.create).toContain("MODE=stage");
        expect(stage.inputs.create).toContain(`BINARY_SHA256=${SHA("c")}`);
        // A new checksum changes the command, and an update with no `update` command runs `create` again.
        expect(stage.inputs.update).toBeUndefined();
    });

    it("drains a node only once its artifacts passed their check, and upgrades it from the staged copies", async () => {
        expect(await deps("pi-2-drain")).toEqual(["pi-1-upgrade", "pi-2-install", "pi-2-stage"]);
        expect(await deps("pi-2-upgrade")).toEqual(["pi-2-drain", "pi-2-stage"]);
        expect(await deps("pi-2-install")).toEqual(["cp-1-install", "pi-2-preinstall", "pi-2-stage"]);
        expect(await deps("pi-2-preinstall")).toEqual(["cluster-ca-hash", "pi-2-stage"]);
    });

    it("registers no staging step without artifacts", async () => {
        resetRegistry();
        const cfg = loadConfig(objectSource("plain", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith([server()]) }, ["sshPrivateKey"]));
        const c = new K3sCluster("plain", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys });
        await valueOf(c.kubeconfig);
        expect((await registeredResources()).some((r) => r.name.endsWith("-stage"))).toBe(false);
    });
});

import { beforeAll, describe, expect, it } from "vitest";
import { planCluster } from "../../../plan/cluster";
import { K3sCluster } from "../../../components/cluster/k3sCluster";
import { loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { dependencyNames, recorder, RecordedResource, RegisteredResource, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";
import { agent, clusterWith, server, TEST_SSH_KEY } from "../../helpers/stacks";

describe("a cluster with a GPU node", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    let cluster: K3sCluster;

    beforeAll(async () => {
        resetRegistry();
        const nodes = [{ ...server("tower", "10.0.0.10"), gpu: true, dataDir: "/mnt/ssd" }, agent("pi-1", "10.0.0.21")];
        const cfg = loadConfig(objectSource("gpu", { cluster: clusterWith(nodes, { prepare: true }), sshPrivateKey: TEST_SSH_KEY }, ["sshPrivateKey"]));
        cluster = new K3sCluster("c", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(cluster.kubeconfig);
        registered = await registeredResources();
    });

    const byName = (name: string) => registered.find((r) => r.name === name) as RegisteredResource;
    const opts = (name: string) => (rec.resources.find((r) => r.name === name) as RecordedResource).opts;

    it("checks driver and toolkit on the GPU node only, installing the toolkit with prepare, before the final pre-flight", async () => {
        expect(registered.filter((r) => r.name.endsWith("-gpu-preflight")).map((r) => r.name)).toEqual(["tower-gpu-preflight"]);
        const gpu = byName("tower-gpu-preflight");
        expect(gpu.inputs.create).toContain("MODE=preflight");
        expect(gpu.inputs.create).toContain("PREPARE=1");
        expect(gpu.inputs.create).toContain("gpu-check.sh");
        expect(await dependencyNames(opts("tower-gpu-preflight"))).toEqual(["tower-settle"]);
        expect(await dependencyNames(opts("tower-preflight"))).toEqual(["tower-gpu-preflight"]);
    });

    it("checks the nvidia runtime in k3s's containerd config once the node is Ready, in the node's data dir", async () => {
        const runtime = byName("tower-gpu-runtime");
        expect(runtime.inputs.create).toContain("sudo -n env DATA_DIR=/mnt/ssd MODE=runtime");
        expect(runtime.inputs.triggers).toEqual(["tower-install-id"]);
        expect(await dependencyNames(opts("tower-gpu-runtime"))).toEqual(["tower-joined", "tower-ready"]);
        expect(registered.some((r) => r.name === "pi-1-gpu-runtime")).toBe(false);
    });

    it("makes everything deployed onto the cluster wait for the runtime check", async () => {
        const names = await Promise.all(cluster.readyResources.map((r) => valueOf(r.urn)));
        expect(names.some((u) => u.endsWith("::tower-gpu-runtime"))).toBe(true);
    });
});

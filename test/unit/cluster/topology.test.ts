import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { planCluster } from "../../../plan/cluster";
import { K3sCluster } from "../../../components/cluster/k3sCluster";
import { joinRoleOf, nodeLabels, upgradeOrder } from "../../../plan/topology";
import { loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { clusterSchema } from "../../../config/schema/cluster";
import { dependencyNames, recorder, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";
import { agent, clusterWith, server, TEST_SSH_KEY } from "../../helpers/stacks";

const haNodes = [agent("pi-1", "10.0.0.21"), server("cp-1", "10.0.0.10"), server("cp-2", "10.0.0.11"), server("cp-3", "10.0.0.12"), agent("pi-2", "10.0.0.22")];

describe("cluster topology helpers", () => {
    const spec = clusterSchema.parse(clusterWith(haNodes));

    it("upgrades servers first, then agents, each in declared order", () => {
        expect(upgradeOrder(spec.nodes).map((n) => n.name)).toEqual(["cp-1", "cp-2", "cp-3", "pi-1", "pi-2"]);
    });

    it("lets the first declared server initialise the cluster and the others join", () => {
        expect(spec.nodes.map((n) => joinRoleOf(n, spec.nodes))).toEqual(["agent", "init", "join-server", "join-server", "agent"]);
    });

    it("labels agents as workers and GPU nodes as such, user labels winning", () => {
        const [gpuServer] = clusterSchema.parse(clusterWith([{ ...server(), gpu: true, labels: { "picluster.io/gpu": "nvidia" } }])).nodes;
        expect(nodeLabels(gpuServer)).toEqual({ "picluster.io/gpu": "nvidia" });
        expect(nodeLabels(spec.nodes[0])).toEqual({ "node-role.kubernetes.io/worker": "true" });
    });
});

describe("an HA cluster without prepare", () => {
    it("joins servers one at a time after the first, agents in parallel after the first, and only checks nodes", async () => {
        resetRegistry();
        const rec = recorder();
        const cfg = loadConfig(objectSource("ha", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith(haNodes) }, ["sshPrivateKey"]));
        const c = new K3sCluster("cluster", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(c.kubeconfig);
        const deps = async (name: string) => dependencyNames((rec.resources.find((r) => r.name === name) as { opts: object }).opts);
        expect(await deps("cp-1-install")).toEqual([]);
        // Each joining server once the one before is Ready: the first server's joined gate, then the previous install (which waits for its Node).
        expect(await deps("cp-2-install")).toEqual(["cp-1-joined", "cp-2-preinstall"]);
        expect(await deps("cp-3-install")).toEqual(["cp-2-install", "cp-3-preinstall"]);
        expect(await deps("pi-1-install")).toEqual(["cp-1-install", "pi-1-preinstall"]);
        expect(await deps("pi-2-install")).toEqual(["cp-1-install", "pi-2-preinstall"]);
        // The rolling upgrade goes cp-1 → cp-2 → cp-3 → pi-1 → pi-2.
        expect(await deps("pi-1-drain")).toEqual(["cp-3-upgrade", "pi-1-install"]);

        const names = (await registeredResources()).map((r) => r.name);
        expect(names.filter((n) => n.endsWith("-prepare") || n.endsWith("-settle"))).toEqual([]);
        expect(names.filter((n) => n.endsWith("-preflight")).sort()).toEqual(["cp-1-preflight", "cp-2-preflight", "cp-3-preflight", "pi-1-preflight", "pi-2-preflight"]);
    });
});

describe("the state's claim on its cluster", () => {
    it("checks which state owns the cluster on the first server before any node's pre-flight", async () => {
        resetRegistry();
        const rec = recorder();
        const cfg = loadConfig(objectSource("ha", { sshPrivateKey: TEST_SSH_KEY, cluster: clusterWith(haNodes) }, ["sshPrivateKey"]));
        const c = new K3sCluster("cluster", { plan: planCluster(cfg.cluster), nodeKeys: cfg.nodeKeys }, { transformations: [rec.transform] });
        await valueOf(c.kubeconfig);
        const byName = (name: string) => rec.resources.find((r) => r.name === name) as { opts: object; props: Record<string, unknown> };
        for (const n of ["cp-1", "cp-2", "cp-3", "pi-1", "pi-2"]) expect(await dependencyNames(byName(`${n}-preflight`).opts)).toEqual(["cluster-owner-check"]);
        const check = byName("cluster-owner-check").props as { connection: pulumi.Output<{ host: string }>; create: pulumi.Output<string> };
        expect(await valueOf(pulumi.output(check.connection))).toMatchObject({ host: "10.0.0.10" });
        expect(await valueOf(pulumi.output(check.create))).toMatch(/OWNER_NAME=organization\/picluster\/test [\s\S]*owner-check\.sh'?$/);
    });
});

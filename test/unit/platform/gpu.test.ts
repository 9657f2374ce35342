import * as yaml from "js-yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { nodeCapacities, planCapacity } from "../../../plan/capacity";
import { CapacityError } from "../../../plan/capacityText";
import { Platform } from "../../../components/platform/platform";
import { clusterSchema } from "../../../config/schema/cluster";
import { servicesSchema } from "../../../config/schema/services";
import { registeredResources, resetRegistry, unwrapSecrets, type RegisteredResource } from "../../helpers/mocks";
import { node, piApps, piNodes, piServices, platformPlan, testCluster } from "./fixtures";

type Values = Record<string, any>;

const release = (rs: RegisteredResource[], name: string) => rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === name);
const valuesOf = (r: RegisteredResource | undefined) => unwrapSecrets(r?.inputs.values) as Values;

let n = 0;
function build(nodes = piNodes(), services = piServices()) {
    // The app needs postgres; the GPU-only stacks below leave both out.
    const apps = services.postgres.enabled ? piApps() : [];
    return new Platform(`gpu${++n}`, { cluster: testCluster(nodes), plan: platformPlan(services, apps, nodes) });
}

/** Only Ollama and the device plugin: nothing else competes for the GPU node. */
const ollamaOnly = (over: Record<string, unknown> = {}) =>
    servicesSchema.parse({
        ollama: { gpu: true, resources: { requests: { memory: "4Gi" } } },
        postgres: { enabled: false },
        rocketchat: { enabled: false },
        monitoring: { enabled: false },
        ...over,
    });

describe("the NVIDIA device plugin", () => {
    beforeEach(() => resetRegistry());

    it("is deployed on a cluster with a GPU node: pinned chart, runtime class nvidia, only the picluster.io/gpu=true nodes", async () => {
        build();
        const r = release(await registeredResources(), "nvidia-device-plugin");
        expect(r?.inputs).toMatchObject({ chart: "nvidia-device-plugin", version: "0.17.1", namespace: "nvidia-device-plugin", repositoryOpts: { repo: "https://nvidia.github.io/k8s-device-plugin" } });
        const v = valuesOf(r);
        expect(v.runtimeClassName).toBe("nvidia");
        expect(v.nodeSelector).toEqual({ "picluster.io/gpu": "true" });
        expect(v.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
            { matchExpressions: [{ key: "picluster.io/gpu", operator: "In", values: ["true"] }] },
        ]);
    });

    it("runs unprivileged as far as the plugin allows, and tolerates the GPU node's taints", async () => {
        const nodes = [node({ name: "tower", host: "10.0.0.10", role: "server", arch: "amd64", gpu: true, taints: ["gpu=true:NoSchedule"] })];
        build(nodes, ollamaOnly());
        const v = valuesOf(release(await registeredResources(), "nvidia-device-plugin"));
        expect(v.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
        expect(v.migStrategy).toBe("none");
        expect(v.compatWithCPUManager).toBe(false);
        expect(v.tolerations).toContainEqual({ key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" });
    });

    it("is not deployed when no node has a GPU", async () => {
        build(piNodes().map((x) => ({ ...x, gpu: false })), piServices({ ollama: { gpu: false } }));
        const rs = await registeredResources();
        expect(release(rs, "nvidia-device-plugin")).toBeUndefined();
        expect(rs.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => (r.inputs.metadata as Values).name)).not.toContain("nvidia-device-plugin");
    });

    it("time-slices each GPU gpuSharing times when asked", async () => {
        build(piNodes(), ollamaOnly({ nvidiaDevicePlugin: { gpuSharing: 4 } }));
        const v = valuesOf(release(await registeredResources(), "nvidia-device-plugin"));
        expect(yaml.load(v.config.map.default)).toEqual({ version: "v1", sharing: { timeSlicing: { resources: [{ name: "nvidia.com/gpu", replicas: 4 }] } } });
    });

    it("adds no time-slicing config without gpuSharing", async () => {
        build(piNodes(), ollamaOnly());
        expect(valuesOf(release(await registeredResources(), "nvidia-device-plugin")).config).toBeUndefined();
    });
});

describe("Ollama and the GPU", () => {
    beforeEach(() => resetRegistry());

    it("requests nvidia.com/gpu with the nvidia runtime class on the GPU node", async () => {
        build(piNodes(), ollamaOnly());
        const v = valuesOf(release(await registeredResources(), "ollama"));
        expect(v.ollama.gpu).toEqual({ enabled: true, type: "nvidia", number: 1 });
        expect(v.runtimeClassName).toBe("nvidia");
        expect(v.nodeSelector["kubernetes.io/hostname"]).toBe("tower");
    });

    it("requests no GPU and no runtime class when gpu is false", async () => {
        build(piNodes(), ollamaOnly({ ollama: { gpu: false, resources: { requests: { memory: "4Gi" } } } }));
        const v = valuesOf(release(await registeredResources(), "ollama"));
        expect(v.ollama.gpu.enabled).toBe(false);
        expect(v.runtimeClassName).toBe("");
    });
});

describe("capacity counts GPUs per node", () => {
    it("gives a node gpus × gpuSharing nvidia.com/gpu, and none without a GPU", () => {
        const nodes = [node({ name: "tower", host: "10.0.0.10", role: "server", arch: "amd64", gpu: true, gpus: 2 }), node({ name: "pi1", host: "10.0.0.21", arch: "arm64" })];
        expect(nodeCapacities(nodes, { gpuSharing: 3 }).map((c) => c.gpus)).toEqual([6, 0]);
        expect(nodeCapacities(nodes).map((c) => c.gpus)).toEqual([2, 0]);
    });

    it("fails a preview that asks for more GPUs than the node has, saying how many exist", () => {
        expect(() => build(piNodes(), ollamaOnly({ ollama: { gpu: true, gpuCount: 2, resources: { requests: { memory: "4Gi" } } } }))).toThrow(CapacityError);
        let plan: CapacityError["plan"] | undefined;
        try {
            build(piNodes(), ollamaOnly({ ollama: { gpu: true, gpuCount: 2, resources: { requests: { memory: "4Gi" } } } }));
        } catch (e) {
            plan = (e as CapacityError).plan;
        }
        expect(plan?.unplaced.map((u) => u.reason)).toEqual([expect.stringContaining("needs 2 nvidia.com/gpu; most free matching node tower has 1 of 1")]);
    });

    it("fits the same request when time-slicing shares the card", () => {
        const services = ollamaOnly({ ollama: { gpu: true, gpuCount: 2, resources: { requests: { memory: "4Gi" } } }, nvidiaDevicePlugin: { gpuSharing: 2 } });
        expect(() => build(piNodes(), services)).not.toThrow();
    });

    it("counts GPUs across workloads: two GPU workloads on a one-GPU node do not fit", () => {
        const caps = nodeCapacities(piNodes());
        const gpuDemand = (name: string) => ({ name, cpu: "100m", memory: "128Mi", replicas: 1, arch: "amd64" as const, gpu: true });
        expect(planCapacity([gpuDemand("ollama"), gpuDemand("jupyter-gpu")], caps).unplaced).toHaveLength(1);
        expect(planCapacity([gpuDemand("ollama"), gpuDemand("jupyter-gpu")], nodeCapacities(piNodes(), { gpuSharing: 2 })).fits).toBe(true);
    });
});

describe("gpu: true on arm64", () => {
    const cluster = (extra: Record<string, unknown>) =>
        clusterSchema.safeParse({
            k3sVersion: "v1.33.5+k3s1",
            nodes: [
                { name: "cp-1", host: "10.0.0.10", user: "pi", role: "server", arch: "amd64" },
                { name: "jetson", host: "10.0.0.30", user: "pi", role: "agent", arch: "arm64", gpu: true, ...extra },
            ],
        });

    it("is refused, naming the override", () => {
        const r = cluster({});
        expect(r.success).toBe(false);
        expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["nodes.1.gpu", expect.stringContaining("allowGpuOnArm64: true")]]);
    });

    it("is accepted with allowGpuOnArm64: true", () => {
        expect(cluster({ allowGpuOnArm64: true }).success).toBe(true);
    });
});

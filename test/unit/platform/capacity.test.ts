import { describe, expect, it } from "vitest";
import { DEFAULT_CAPACITY, nodeCapacities, planCapacity, type WorkloadDemand } from "../../../plan/capacity";
import { CapacityError, checkCapacity, formatNodePlan } from "../../../plan/capacityText";
import { planPlatform } from "../../../plan/platform";
import type { AppsSpec } from "../../../config/schema/apps";
import type { NodeSpec } from "../../../config/schema/cluster";
import type { ServicesSpec } from "../../../config/schema/services";
import { parseBytes, parseCpu } from "../../../config/quantity";
import { node, piApps, piNodes, piServices, testSecrets } from "./fixtures";

/** The platform's demands as the plan states them. */
const platformDemands = (services: ServicesSpec, apps: AppsSpec, nodes: NodeSpec[] = []) => planPlatform({ services, apps, nodes }, testSecrets, []).demands;

describe("quantities", () => {
    it("parses CPU in cores and millicores", () => {
        expect(parseCpu("500m")).toBe(0.5);
        expect(parseCpu("2")).toBe(2);
        expect(parseCpu(1.5)).toBe(1.5);
        expect(() => parseCpu("two")).toThrow(/CPU quantity/);
    });
    it("parses binary and decimal memory units", () => {
        expect(parseBytes("512Mi")).toBe(512 * 2 ** 20);
        expect(parseBytes("8Gi")).toBe(8 * 2 ** 30);
        expect(parseBytes("1G")).toBe(1e9);
        expect(() => parseBytes("lots")).toThrow(/memory quantity/);
    });
});

describe("capacity check", () => {
    it("assumes 8 cpu / 32Gi for amd64 and 4 cpu / 8Gi for a Pi 5 when no capacity is declared", () => {
        const [tower, pi] = nodeCapacities([piNodes()[0], piNodes()[1]]);
        expect(tower).toMatchObject({ cpu: DEFAULT_CAPACITY.amd64.cpu, memoryBytes: 32 * 2 ** 30 });
        expect(pi).toMatchObject({ cpu: 4, memoryBytes: 8 * 2 ** 30 });
    });

    it("uses a node's declared capacity over the default", () => {
        const [n] = nodeCapacities([node({ name: "pi4", host: "10.0.0.9", arch: "arm64", capacity: { cpu: 4, memory: "4Gi" } })]);
        expect(n.memoryBytes).toBe(4 * 2 ** 30);
    });

    it("fits the full pi service set on 1 amd64 node + 4 Pi 5 nodes", () => {
        const demands = platformDemands(piServices(), piApps(), piNodes());
        const plan = checkCapacity(demands, nodeCapacities(piNodes()));
        expect(plan.fits).toBe(true);
        const tower = plan.nodes.find((n) => n.name === "tower");
        expect(tower?.workloads).toEqual(expect.arrayContaining(["ollama", "rocketchat", "rocketchat/mongodb"]));
        // node-exporter lands on all five nodes, both architectures.
        expect(plan.nodes.every((n) => n.workloads.includes("monitoring/node-exporter"))).toBe(true);
        // The three app replicas are spread over three different Pis.
        const hosts = plan.nodes.filter((n) => n.workloads.some((w) => w.startsWith("apps/placemyparents"))).map((n) => n.arch);
        expect(hosts).toEqual(["arm64", "arm64", "arm64"]);
    });

    it("fails with a per-architecture table naming what does not fit", () => {
        const services = piServices({ ollama: { gpu: true, resources: { requests: { memory: "30Gi" } } }, rocketchat: { resources: { requests: { memory: "4Gi" } } } });
        const demands = platformDemands(services, piApps(), piNodes());
        let error: unknown;
        try {
            checkCapacity(demands, nodeCapacities(piNodes()));
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(CapacityError);
        const message = (error as Error).message;
        expect(message).toMatch(/capacity check failed/);
        expect(message).toMatch(/arch\s+nodes\s+cpu requested \/ allocatable/);
        expect(message).toMatch(/amd64\s+1\s+.*do not fit/);
        expect(message).toMatch(/arm64\s+4\s+.*ok/);
        expect(message).toMatch(/Does not fit:[\s\S]*rocketchat\s+amd64/);
    });

    it("reports a workload whose arch has no node at all", () => {
        const plan = planCapacity([{ name: "x86-only", cpu: "100m", memory: "64Mi", replicas: 1, arch: "amd64" }], nodeCapacities(piNodes().slice(1)));
        expect(plan.fits).toBe(false);
        expect(plan.unplaced[0].reason).toMatch(/no declared node matches \(arch amd64\)/);
    });

    it("places a GPU demand only on a node declared with gpu: true", () => {
        const nodes = [node({ name: "box", host: "10.0.0.2", role: "server", arch: "amd64" })];
        const plan = planCapacity([{ name: "ollama", cpu: "1", memory: "1Gi", replicas: 1, arch: "amd64", gpu: true }], nodeCapacities(nodes));
        expect(plan.fits).toBe(false);
        expect(plan.unplaced[0].reason).toMatch(/gpu: true/);
    });

    it("counts demands contributed by other components (agents)", () => {
        const agents: WorkloadDemand[] = [{ name: "agents/agent-host", cpu: "500m", memory: "1Gi", replicas: 40, arch: "arm64" }];
        const demands = [...platformDemands(piServices(), piApps(), piNodes()), ...agents];
        const plan = planCapacity(demands, nodeCapacities(piNodes()));
        expect(plan.fits).toBe(false);
        expect(plan.unplaced.every((u) => u.replica.startsWith("agents/agent-host"))).toBe(true);
        expect(plan.byArch.find((a) => a.arch === "arm64")?.unplaced).toBeGreaterThan(0);
    });

    it("prints the per-node plan with every node", () => {
        const text = formatNodePlan(planCapacity(platformDemands(piServices(), piApps(), piNodes()), nodeCapacities(piNodes())));
        for (const n of ["tower", "pi1", "pi2", "pi3", "pi4"]) expect(text).toContain(n);
        expect(text).toMatch(/tower\s+amd64 \(gpu\)/);
    });

    it("counts nothing for disabled services", () => {
        const services = piServices({ ollama: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: false }, postgres: { enabled: false }, nvidiaDevicePlugin: { enabled: false }, catalog: [] });
        expect(platformDemands(services, [], piNodes())).toEqual([]);
    });
});

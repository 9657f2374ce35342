import { describe, expect, it } from "vitest";
import { DiskCapacityError } from "../../../plan/diskCapacity";
import { loadConfig, secretsOf } from "../../../config/load";
import { buildPlan } from "../../../plan/plan";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;

/** The pi stack with cp-1's (the amd64 box's) disk declared. */
function planWithDisk(disk: string | undefined, services?: Values) {
    const { values } = stackValues("pi");
    const cluster = structuredClone(values.cluster) as Values;
    const cp = cluster.nodes.find((n: Values) => n.name === "cp-1");
    if (disk !== undefined) cp.capacity = { ...cp.capacity, disk };
    const source = stackSource("pi", { cluster, ...(services ? { services: { ...(values.services as Values), ...services } } : {}) });
    return buildPlan(loadConfig(source), secretsOf(source));
}

function diskError(fn: () => unknown): DiskCapacityError {
    try {
        fn();
    } catch (e) {
        if (e instanceof DiskCapacityError) return e;
        throw e;
    }
    throw new Error("the plan held");
}

describe("the disk capacity check", () => {
    it("passes the pi stack with the default free space", () => {
        expect(() => planWithDisk(undefined)).not.toThrow();
    });

    it("fails a stack whose volumes do not fit, naming the node and every volume on it", () => {
        const e = diskError(() => planWithDisk("32Gi"));
        expect(e.problems).toHaveLength(1);
        const line = e.problems[0];
        expect(line).toMatch(/^node cp-1 must hold \S+ of volumes but has 32Gi for them: /);
        for (const volume of ["ollama (30Gi)", "rocketchat/mongodb (8Gi)"]) expect(line).toContain(volume);
        expect(line).toContain("cluster.nodes[].capacity.disk");
    });

    it("counts one volume per replica", () => {
        const e = diskError(() => planWithDisk("32Gi", { ollama: { models: ["llama3:8b"], storage: { size: "1Gi" } }, postgres: { databases: [{ name: "analytics" }], instances: 3, storage: { size: "50Gi" }, placement: { arch: "amd64" } } }));
        expect(e.problems.join("\n")).toMatch(/postgres\/instance\[\d\] \(50Gi\)/);
    });

    it("refuses a disk size that is not a quantity", () => {
        expect(() => planWithDisk("lots")).toThrow(/picluster:cluster\.nodes\[0\]\.capacity\.disk = "lots"/);
    });
});

import { describe, expect, it } from "vitest";
import { neededRepairs, parseObservation, type Observed } from "../../../components/cluster/nodeDrift";
import { observationProvider, type ObservationInputs, type ObservationState } from "../../../components/cluster/nodeObservation";

const healthy: Observed = { version: "v1.33.5+k3s1", service: "k3s-agent", active: true, ready: "True", configSha256: "c0ffee", registriesSha256: "", machineId: "m-1" };
const desired = { k3sVersion: "v1.33.5+k3s1", configSha256: "c0ffee" };
const inputs: ObservationInputs = {
    node: "pi-1",
    ...desired,
    connection: { host: "10.0.0.21", port: 22, user: "pi", privateKey: "KEY" },
    command: "sudo -n env ROLE=agent bash -c … node-observe.sh",
    repairs: [],
    repairCommand: "sudo -n env MODE=install TARGET_VERSION=v1.33.5+k3s1 bash -c … && … node-repair.sh",
    repairConfig: "token: T1\n",
};

describe("node drift", () => {
    it("needs nothing when the node runs what picluster installed", () => {
        expect(neededRepairs(healthy, desired, "m-1")).toEqual([]);
    });

    it("reinstalls a node whose k3s was removed, and asks nothing else of it", () => {
        expect(neededRepairs({ ...healthy, version: "", active: false, configSha256: "" }, desired, "m-1")).toEqual(["reinstall k3s: not installed"]);
    });

    it("reinstalls a reimaged node, known by its new machine-id", () => {
        expect(neededRepairs({ ...healthy, machineId: "m-2", configSha256: "" }, desired, "m-1")).toEqual(["reinstall k3s: reimaged (machine-id changed)"]);
    });

    it("rewrites a config edited by hand and restarts a stopped service", () => {
        expect(neededRepairs({ ...healthy, configSha256: "edited", active: false }, desired, "m-1")).toEqual([
            "rewrite config.yaml: changed on the node",
            "restart k3s-agent: stopped",
        ]);
    });

    it("restarts a running service whose node is NotReady, but not one whose readiness is unknown", () => {
        expect(neededRepairs({ ...healthy, ready: "False" }, desired, "m-1")).toEqual(["restart k3s-agent: node NotReady"]);
        expect(neededRepairs({ ...healthy, ready: "" }, desired, "m-1")).toEqual([]);
    });

    it("puts back the pinned version when another one runs", () => {
        expect(neededRepairs({ ...healthy, version: "v1.34.1+k3s1" }, desired, "m-1")).toEqual(["reinstall k3s: runs v1.34.1+k3s1, not v1.33.5+k3s1"]);
    });

    it("refuses output that is not the observation's JSON, quoting it", () => {
        expect(() => parseObservation("sudo: a password is required")).toThrow(/printed no JSON: 'sudo: a password is required'/);
        expect(() => parseObservation('{"version":1}')).toThrow(/unexpected JSON/);
        expect(parseObservation(`${JSON.stringify(healthy)}\n`)).toEqual(healthy);
    });
});

describe("the observation's provider", () => {
    const observing = (seen: Observed[]) => {
        const calls: string[] = [];
        const provider = observationProvider(async (c) => {
            calls.push(c.host);
            return seen[Math.min(calls.length - 1, seen.length - 1)];
        });
        return { provider, calls };
    };

    it("records the machine-id at create as the baseline, with one call", async () => {
        const { provider, calls } = observing([healthy]);
        const created = await provider.create!(inputs);
        expect(created.outs).toMatchObject({ baselineMachineId: "m-1", generation: 0, repairs: [], observed: healthy });
        expect(calls).toEqual(["10.0.0.21"]);
    });

    it("on refresh finds the repairs, and the diff then shows them; a healthy node shows no change", async () => {
        const { provider } = observing([healthy, { ...healthy, version: "", configSha256: "" }]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        expect(refreshed.repairs).toEqual(["reinstall k3s: not installed"]);
        expect(refreshed.baselineMachineId).toBe("m-1");
        expect(await provider.diff!("pi-1", refreshed, inputs)).toEqual({ changes: true, detailedDiff: { repairs: { kind: "update" } } });
        expect((await provider.diff!("pi-1", state, inputs)).changes).toBe(false);
    });

    it("bumps the repair generation on update only if the node still needs repairs", async () => {
        const broken = { ...healthy, configSha256: "edited" };
        const { provider } = observing([healthy, broken, broken, healthy]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        const repaired = (await provider.update!("pi-1", refreshed, inputs)).outs as ObservationState;
        expect(repaired).toMatchObject({ generation: 1, reimageGeneration: 0, lastRepairs: ["rewrite config.yaml: changed on the node"], repairs: [] });
        // What the repair establishes is recorded, so refreshing the repaired node changes nothing.
        expect(repaired.observed).toEqual(healthy);
        // Fixed by hand meanwhile: nothing to run.
        const again = (await provider.update!("pi-1", { ...repaired, repairs: ["rewrite config.yaml: changed on the node"] }, inputs)).outs as ObservationState;
        expect(again.generation).toBe(1);
    });

    it("takes a reimaged node's new machine-id as the baseline once it is reinstalled", async () => {
        const reimaged = { ...healthy, version: "", machineId: "m-2" };
        const { provider } = observing([healthy, reimaged]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        const updated = (await provider.update!("pi-1", refreshed, inputs)).outs as ObservationState;
        expect(updated).toMatchObject({ baselineMachineId: "m-2", generation: 1, reimageGeneration: 1 });
    });

    it("on an upgrade or a new config, with no refresh finding anything, calls no node and arms no repair", async () => {
        const { provider, calls } = observing([healthy]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const upgraded = { ...inputs, k3sVersion: "v1.34.1+k3s1", repairCommand: "… TARGET_VERSION=v1.34.1+k3s1 …", repairConfig: "token: T2\n" };
        expect((await provider.diff!("pi-1", state, upgraded)).changes).toBe(true);
        const after = (await provider.update!("pi-1", state, upgraded)).outs as ObservationState;
        expect(calls).toHaveLength(1);
        expect(after).toMatchObject({ k3sVersion: "v1.34.1+k3s1", generation: 0, armedCommand: inputs.repairCommand, armedConfig: "token: T1\n" });
    });

    it("arms the repair command and config of the moment a refresh's repairs are bumped", async () => {
        const { provider } = observing([healthy, { ...healthy, active: false }, { ...healthy, active: false }]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        const now = { ...inputs, repairCommand: "… TARGET_VERSION=v1.34.1+k3s1 …", repairConfig: "token: T2\n" };
        const repaired = (await provider.update!("pi-1", refreshed, now)).outs as ObservationState;
        expect(repaired).toMatchObject({ generation: 1, armedCommand: now.repairCommand, armedConfig: "token: T2\n" });
    });

    it("keeps the repair command in its state once, as armed, through create, refresh, upgrade and repair", async () => {
        const { provider } = observing([healthy, { ...healthy, active: false }, { ...healthy, active: false }]);
        const created = (await provider.create!(inputs)).outs as ObservationState;
        const upgraded = (await provider.update!("pi-1", created, { ...inputs, repairCommand: "… v1.34.1+k3s1 …", repairConfig: "token: T2\n" })).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", upgraded)).props as ObservationState;
        const repaired = (await provider.update!("pi-1", refreshed, { ...inputs, repairCommand: "… v1.34.1+k3s1 …", repairConfig: "token: T2\n" })).outs as ObservationState;
        for (const outs of [created, upgraded, refreshed, repaired]) {
            expect(Object.keys(outs)).not.toContain("repairCommand");
            expect(Object.keys(outs)).not.toContain("repairConfig");
        }
        expect(upgraded.armedCommand).toBe(inputs.repairCommand);
        expect(repaired).toMatchObject({ generation: 1, armedCommand: "… v1.34.1+k3s1 …", armedConfig: "token: T2\n" });
    });

    it("drops the copy of the current repair that older state keeps, arming nothing new", async () => {
        const { provider, calls } = observing([healthy]);
        const old = { ...((await provider.create!(inputs)).outs as ObservationState), repairCommand: inputs.repairCommand, repairConfig: inputs.repairConfig };
        const upgraded = { ...inputs, k3sVersion: "v1.34.1+k3s1", repairCommand: "… v1.34.1+k3s1 …" };
        const after = (await provider.update!("pi-1", old, upgraded)).outs as ObservationState;
        expect(Object.keys(after)).not.toContain("repairCommand");
        expect(after).toMatchObject({ k3sVersion: "v1.34.1+k3s1", generation: 0, armedCommand: inputs.repairCommand });
        expect(calls).toHaveLength(1);
    });

    it("arms the current repair on the first update of state written before arming existed", async () => {
        const { provider } = observing([healthy]);
        const { armedCommand: _c, armedConfig: _k, ...old } = (await provider.create!(inputs)).outs as ObservationState;
        const after = (await provider.update!("pi-1", old as ObservationState, inputs)).outs as ObservationState;
        expect(after).toMatchObject({ generation: 0, armedCommand: inputs.repairCommand, armedConfig: inputs.repairConfig });
    });
});

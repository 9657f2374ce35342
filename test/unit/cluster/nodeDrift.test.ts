import { describe, expect, it } from "vitest";
import { neededRepairs, parseObservation, type Observed } from "../../../components/cluster/drift/nodeDrift";
import { observationProvider, type ObservationInputs, type ObservationState } from "../../../components/cluster/drift/nodeObservation";

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
    primary: { host: "10.0.0.10", port: 22, user: "pi", privateKey: "KEY" },
    forgetCommand: "sudo -n env MODE=remove NODE_NAME=pi-1 bash -c … node-drain.sh",
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
    /** A provider whose node answers each observation with the next of `seen`; every command is recorded as host: command [stdin]. */
    const observing = (seen: Observed[], fails: Record<string, number> = {}) => {
        const calls: string[] = [];
        let observations = 0;
        const provider = observationProvider(async (c, command, stdin) => {
            calls.push(`${c.host}: ${command}${stdin ? ` [${stdin.trim()}]` : ""}`);
            if (command === inputs.command || command.endsWith("node-observe.sh")) {
                return { code: 0, stdout: JSON.stringify(seen[Math.min(observations++, seen.length - 1)]), stderr: "" };
            }
            const code = fails[command] ?? 0;
            return { code, stdout: "", stderr: code ? "[pi-1] k3s-agent not active within 300s: cannot reach 10.0.0.10:6443\n" : "" };
        });
        return { provider, calls };
    };
    const observation = `10.0.0.21: ${inputs.command}`;

    it("records the machine-id at create as the baseline, with one call, and keeps neither the repair nor the first server's key", async () => {
        const { provider, calls } = observing([healthy]);
        const created = await provider.create!(inputs);
        expect(created.outs).toMatchObject({ baselineMachineId: "m-1", generation: 0, repairs: [], observed: healthy });
        for (const key of ["repairCommand", "repairConfig", "primary", "forgetCommand"]) expect(Object.keys(created.outs)).not.toContain(key);
        expect(calls).toEqual([observation]);
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

    it("repairs on update only if the node still needs it: the repair command on the node, the config on its stdin", async () => {
        const broken = { ...healthy, configSha256: "edited" };
        const { provider, calls } = observing([healthy, broken, broken, healthy]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        calls.length = 0;
        const repaired = (await provider.update!("pi-1", refreshed, inputs)).outs as ObservationState;
        expect(calls).toEqual([observation, `10.0.0.21: ${inputs.repairCommand} [token: T1]`]);
        expect(repaired).toMatchObject({ generation: 1, reimageGeneration: 0, lastRepairs: ["rewrite config.yaml: changed on the node"], repairs: [] });
        // What the repair establishes is recorded, so refreshing the repaired node changes nothing.
        expect(repaired.observed).toEqual(healthy);
        // Fixed by hand meanwhile: nothing to run.
        calls.length = 0;
        const again = (await provider.update!("pi-1", { ...repaired, repairs: ["rewrite config.yaml: changed on the node"] }, inputs)).outs as ObservationState;
        expect(again.generation).toBe(1);
        expect(calls).toEqual([observation]);
    });

    it("removes a reimaged node's stale Node object on the first server before reinstalling it, and takes its new machine-id as the baseline", async () => {
        const reimaged = { ...healthy, version: "", machineId: "m-2" };
        const { provider, calls } = observing([healthy, reimaged]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        calls.length = 0;
        const updated = (await provider.update!("pi-1", refreshed, inputs)).outs as ObservationState;
        expect(calls).toEqual([observation, `10.0.0.10: ${inputs.forgetCommand}`, `10.0.0.21: ${inputs.repairCommand} [token: T1]`]);
        expect(updated).toMatchObject({ baselineMachineId: "m-2", generation: 1, reimageGeneration: 1 });
    });

    it("fails the update with the repair's last lines when the repair fails, and bumps nothing", async () => {
        const { provider } = observing([healthy, { ...healthy, active: false }], { [inputs.repairCommand]: 1 });
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        await expect(provider.update!("pi-1", refreshed, inputs)).rejects.toThrow(
            /repairing pi-1 \(restart k3s-agent: stopped\) \(pi@10\.0\.0\.21:22\) exited 1:\n\[pi-1\] k3s-agent not active within 300s: cannot reach/,
        );
    });

    it("on an upgrade or a new config, with no refresh finding anything, calls no node and repairs nothing", async () => {
        const { provider, calls } = observing([healthy]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const upgraded = { ...inputs, k3sVersion: "v1.34.1+k3s1", repairCommand: "… TARGET_VERSION=v1.34.1+k3s1 …", repairConfig: "token: T2\n" };
        expect((await provider.diff!("pi-1", state, upgraded)).changes).toBe(true);
        const after = (await provider.update!("pi-1", state, upgraded)).outs as ObservationState;
        expect(calls).toHaveLength(1);
        expect(after).toMatchObject({ k3sVersion: "v1.34.1+k3s1", generation: 0, lastRepairs: [] });
    });

    it("repairs with the repair command and config of the moment, not those of the install", async () => {
        const { provider, calls } = observing([healthy, { ...healthy, active: false }, { ...healthy, active: false }]);
        const state = (await provider.create!(inputs)).outs as ObservationState;
        const refreshed = (await provider.read!("pi-1", state)).props as ObservationState;
        const now = { ...inputs, repairCommand: "… TARGET_VERSION=v1.34.1+k3s1 …", repairConfig: "token: T2\n" };
        await provider.update!("pi-1", refreshed, now);
        expect(calls.at(-1)).toBe("10.0.0.21: … TARGET_VERSION=v1.34.1+k3s1 … [token: T2]");
    });

    it("drops what older state kept of the repair (its current and armed copies) at its next update, running nothing", async () => {
        const { provider, calls } = observing([healthy]);
        const created = (await provider.create!(inputs)).outs as ObservationState;
        const old = { ...created, repairCommand: inputs.repairCommand, repairConfig: inputs.repairConfig, armedCommand: inputs.repairCommand, armedConfig: inputs.repairConfig };
        const after = (await provider.update!("pi-1", old as ObservationState, { ...inputs, k3sVersion: "v1.34.1+k3s1" })).outs as ObservationState;
        for (const key of ["repairCommand", "repairConfig", "armedCommand", "armedConfig"]) expect(Object.keys(after)).not.toContain(key);
        expect(after).toMatchObject({ k3sVersion: "v1.34.1+k3s1", generation: 0 });
        expect(calls).toHaveLength(1);
    });
});

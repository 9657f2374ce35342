import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../components/cluster/nodeRepair";
import { Picluster } from "../../../components/picluster";
import { planStack } from "../../../stacks/plan";
import { dependencyNames, isSecretEnvelope, recorder, RegisteredResource, registeredResources, resetRegistry, unwrapSecrets, valueOf } from "../../helpers/mocks";
import { stackSource } from "../../helpers/stacks";

describe("drift observation and repair on the pi stack", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    const find = (name: string) => registered.find((r) => r.name === name) as RegisteredResource;
    const deps = (name: string) => dependencyNames((rec.resources.find((r) => r.name === name) as { opts: object }).opts);

    beforeAll(async () => {
        resetRegistry();
        const p = new Picluster("picluster", planStack(stackSource("pi")), { transformations: [rec.transform] });
        await valueOf(p.kubeconfig);
        registered = await registeredResources();
    });

    it("observes every node once it is installed and Ready, through the dynamic provider", async () => {
        const observed = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:NodeObservation").map((r) => r.name);
        expect(observed.sort()).toEqual(["cp-1-observed", "pi-1-observed", "pi-2-observed", "pi-3-observed", "pi-4-observed"]);
        expect(await deps("pi-3-observed")).toEqual(["pi-3-ready"]);
    });

    it("observes with node-observe.sh through sudo, and compares with the pinned version", () => {
        const o = find("pi-1-observed");
        expect(o.inputs.command).toMatch(/^sudo -n env NODE_NAME=pi-1 ROLE=agent bash -c .* node-observe\.sh$/s);
        expect(o.inputs.k3sVersion).toBe("v1.33.5+k3s1");
        expect(o.inputs.repairs).toEqual([]);
    });

    it("keeps the SSH key and the config's hash secret, the hash being that of the config the install writes", () => {
        const o = find("pi-1-observed");
        expect(isSecretEnvelope(o.inputs.connection)).toBe(true);
        expect(isSecretEnvelope(o.inputs.configSha256)).toBe(true);
        const config = unwrapSecrets(find("pi-1-install").inputs.stdin) as string;
        expect(unwrapSecrets(o.inputs.configSha256)).toBe(sha256Hex(config));
        expect(unwrapSecrets(o.inputs.connection)).toMatchObject({ host: "192.168.1.21", port: 22, user: "pi" });
    });

    it("runs the repair only on update, with the config on stdin as a secret and the generation in its command", () => {
        const repair = find("pi-1-repair");
        expect(repair.inputs.create).toBeUndefined();
        expect(isSecretEnvelope(repair.inputs.stdin)).toBe(true);
        expect(repair.inputs.update).toMatch(/MODE=install .*k3s-install\.sh && sudo -n env .*node-repair\.sh # repair 0$/s);
        // What it would run is handed to the observation, which arms it at a bump; the config stays secret there.
        const o = find("pi-1-observed");
        expect(o.inputs.repairCommand).toMatch(/TARGET_VERSION=v1\.33\.5\+k3s1 .*k3s-install\.sh && .*node-repair\.sh$/s);
        expect(isSecretEnvelope(o.inputs.repairConfig)).toBe(true);
        const forget = find("pi-1-forget");
        expect(forget.inputs.create).toBeUndefined();
        expect(unwrapSecrets(forget.inputs.connection)).toMatchObject({ host: "192.168.1.10" });
        expect(forget.inputs.update).toMatch(/MODE=remove .*NODE_NAME=pi-1 .* # reimage 0$/s);
    });

    it("removes a reimaged node's stale Node object before reinstalling it", async () => {
        expect(await deps("pi-1-repair")).toEqual(["pi-1-forget"]);
    });
});

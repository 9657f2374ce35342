import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../components/cluster/drift/nodeRepair";
import { Picluster } from "../../../components/picluster";
import { planStack } from "../../../plan/plan";
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
        expect(await deps("pi-3-observed")).toEqual(["pi-3-ready", "pi-4-upgrade"]);
    });

    it("updates each observation while the next upgrade batch's k3s starts, the last batch's after its own ready", async () => {
        expect(await deps("cp-1-observed")).toEqual(["cp-1-ready", "pi-1-upgrade"]);
        expect(await deps("pi-4-observed")).toEqual(["pi-4-ready"]);
    });

    it("runs every observation in one explicit pulumi-nodejs provider that waits for nothing, so its process starts with the program", async () => {
        const host = rec.resources.find((r) => r.type === "pulumi:providers:pulumi-nodejs");
        expect(host?.name).toBe("cluster-observation-host");
        expect(await dependencyNames(host?.opts ?? {})).toEqual([]);
        const observations = rec.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:NodeObservation");
        expect(observations).toHaveLength(5);
        for (const o of observations) {
            const provider = o.opts.provider as { urn: unknown } | undefined;
            expect(provider && (await valueOf(provider.urn as never))).toMatch(/pulumi:providers:pulumi-nodejs::cluster-observation-host$/);
        }
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

    it("hands the observation the repair: reinstall && start, the config a secret, and the forget command for the first server over a secret connection", () => {
        const o = find("pi-1-observed");
        expect(o.inputs.repairCommand).toMatch(/^sudo -n env .*MODE=install .*TARGET_VERSION=v1\.33\.5\+k3s1 .*k3s-install\.sh && sudo -n env .*node-repair\.sh$/s);
        expect(isSecretEnvelope(o.inputs.repairConfig)).toBe(true);
        expect(unwrapSecrets(o.inputs.repairConfig)).toBe(unwrapSecrets(find("pi-1-install").inputs.stdin));
        expect(isSecretEnvelope(o.inputs.primary)).toBe(true);
        expect(unwrapSecrets(o.inputs.primary)).toMatchObject({ host: "192.168.1.10", port: 22 });
        expect(o.inputs.forgetCommand).toMatch(/^sudo -n env MODE=remove NODE_NAME=pi-1 bash -c .*node-drain\.sh$/s);
    });

    it("has no repair step beside the observation, so an upgrade's preview lists no repair", () => {
        const names = registered.map((r) => r.name);
        expect(names.filter((n) => /-(repair|forget)$/.test(n))).toEqual([]);
    });
});

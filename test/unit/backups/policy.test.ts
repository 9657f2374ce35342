import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { evaluate } from "../../../policy/core/evaluate";
import { exemptions } from "../../../policy/exemptions";
import { allRules } from "../../../policy/rules";
import { planStack } from "../../../plan/plan";
import { backupOverrides } from "../../helpers/backups";
import { registeredResources, resetRegistry, setCommandStdout, valueOf } from "../../helpers/mocks";
import { stackSource } from "../../helpers/stacks";
import { clusterCommandStdout } from "../policy/commandStdout";
import { fromMocks } from "../policy/fromMocks";

setCommandStdout(clusterCommandStdout());

describe("the policy pack over the pi stack with backups on", () => {
    it("passes every rule, the dump CronJob and backup Secrets included", async () => {
        resetRegistry();
        const { overrides, secretKeys } = backupOverrides();
        const p = new Picluster("picluster", planStack(stackSource("pi", overrides, { secretKeys })));
        await valueOf(p.kubeconfig);
        const resources = (await registeredResources()).map(fromMocks);
        expect(resources.some((r) => r.type === "kubernetes:batch/v1:CronJob")).toBe(true);
        const { violations } = evaluate(resources, allRules, exemptions);
        expect(violations.map((v) => `${v.rule} ${v.type} ${v.name}: ${v.message}`)).toEqual([]);
    });
});

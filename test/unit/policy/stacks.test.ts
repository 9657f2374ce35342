import { planStack } from "../../../plan/plan";
import { beforeAll, describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { evaluate, type Exempted, type Finding } from "../../../policy/core/evaluate";
import { exemptionListProblems } from "../../../policy/core/exemptions";
import type { ResourceView } from "../../../policy/core/types";
import { exemptions } from "../../../policy/exemptions";
import { allRules, ruleNames } from "../../../policy/rules";
import { inlineCredentials } from "../../../policy/rules/helmSecrets";
import { isSecretAt } from "../../../policy/core/types";
import { recorder, registeredResources, resetRegistry, setCommandStdout, valueOf } from "../../helpers/mocks";
import { stackSource } from "../../helpers/stacks";
import { clusterCommandStdout } from "./commandStdout";
import { fromMocks } from "./fromMocks";

setCommandStdout(clusterCommandStdout());

/** Builds a committed stack under mocks, as index.ts would, and returns what the engine saw. */
async function buildStack(stack: string): Promise<ResourceView[]> {
    resetRegistry();
    const rec = recorder();
    const platform = new Picluster("picluster", planStack(stackSource(stack)), { transformations: [rec.transform] });
    await valueOf(platform.kubeconfig);
    return (await registeredResources()).map(fromMocks);
}

function report(violations: Finding[], exempted: Exempted[]): string {
    return [
        ...violations.map((v) => `VIOLATION ${v.rule} ${v.type} ${v.name}: ${v.message}`),
        ...exempted.map((e) => `exempt    ${e.rule} ${e.type} ${e.name}: ${e.reason}`),
    ].join("\n");
}

describe("the policy pack's own exemption list", () => {
    it("names only rules of the pack, each with a reason", () => {
        expect(exemptionListProblems(exemptions, ruleNames)).toEqual([]);
    });
});

for (const stack of ["dev", "pi"]) {
    describe(`every rule over the whole ${stack} stack`, () => {
        let resources: ResourceView[];
        beforeAll(async () => {
            resources = await buildStack(stack);
        });

        it("passes with zero violations; exemptions are listed", () => {
            const { violations, exempted } = evaluate(resources, allRules, exemptions);
            // Printed so a reviewer sees which holes are in use on this stack.
            console.log(`[policy ${stack}] ${resources.length} resources, ${exempted.length} exemption(s) used\n${report([], exempted)}`);
            expect(report(violations, [])).toBe("");
        });

        it("lets an inline Helm credential through only where it is a Pulumi secret", () => {
            const { exempted } = evaluate(resources, allRules, exemptions);
            const plain = exempted
                .filter((e) => e.rule === "helm-no-inline-credentials")
                .flatMap((e) => {
                    const release = resources.find((r) => r.type === e.type && r.name === e.name) as ResourceView;
                    return inlineCredentials(release.props.values).filter((p) => isSecretAt(release, p) !== true).map((p) => `${e.name} ${p}`);
                });
            expect(plain).toEqual([]);
        });

        it("actually judged something: every resource rule ran on the resources it concerns", () => {
            const applicable = allRules.filter((r) => r.scope === "resource" && resources.some((x) => r.appliesTo(x))).map((r) => r.name);
            // The cluster alone brings commands, a provider-bound NodePatch per node and generic inputs.
            expect(applicable).toEqual(expect.arrayContaining(["explicit-kubernetes-provider", "remote-command-key", "no-latest"]));
            expect(resources.filter((r) => r.type === "command:remote:Command").length).toBeGreaterThan(0);
        });
    });
}

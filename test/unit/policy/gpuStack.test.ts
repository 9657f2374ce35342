import { beforeAll, describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { evaluate } from "../../../policy/core/evaluate";
import type { ResourceView } from "../../../policy/core/types";
import { exemptions } from "../../../policy/exemptions";
import { allRules } from "../../../policy/rules";
import { planStack } from "../../../plan/plan";
import { recorder, registeredResources, resetRegistry, setCommandStdout, valueOf } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";
import { clusterCommandStdout } from "./commandStdout";
import { fromMocks } from "./fromMocks";

setCommandStdout(clusterCommandStdout());

describe("every rule over the pi stack with a GPU node and registries", () => {
    let resources: ResourceView[];

    beforeAll(async () => {
        resetRegistry();
        const cluster = structuredClone(stackValues("pi").values.cluster) as { nodes: Record<string, unknown>[] } & Record<string, unknown>;
        cluster.nodes[0].gpu = true;
        cluster.registries = {
            mirrors: { "docker.io": { endpoint: ["http://192.168.1.10:30500"] } },
            configs: { "registry.lan": { auth: { username: "ci", passwordKey: "registryPassword" } } },
        };
        const services = { ...(stackValues("pi").values.services as Record<string, unknown>), ollama: { gpu: true, models: ["llama3:8b"] } };
        const source = stackSource("pi", { cluster, services, registryPassword: "policy-test-registry-password" }, { secretKeys: ["registryPassword"] });
        const p = new Picluster("picluster", planStack(source), { transformations: [recorder().transform] });
        await valueOf(p.kubeconfig);
        resources = (await registeredResources()).map(fromMocks);
    });

    it("passes with zero violations; the device plugin's privileged namespace is exempt with its reason", () => {
        const { violations, exempted } = evaluate(resources, allRules, exemptions);
        expect(violations.map((v) => `${v.rule} ${v.type} ${v.name}: ${v.message}`)).toEqual([]);
        const ns = exempted.find((e) => e.name === "platform-ns-nvidia-device-plugin");
        expect(ns?.rule).toBe("namespace-pod-security");
        expect(ns?.reason).toContain("/var/lib/kubelet/device-plugins");
    });

    it("judged the registries steps like every remote command", () => {
        expect(resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-registries"))).toHaveLength(5);
    });
});

import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { evaluate } from "../../../policy/core/evaluate";
import { exemptions } from "../../../policy/exemptions";
import { allRules } from "../../../policy/rules";
import { planStack } from "../../../plan/plan";
import { backupOverrides } from "../../helpers/backups";
import { registeredResources, resetRegistry, setCommandStdout, valueOf } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";
import { clusterCommandStdout } from "../policy/commandStdout";
import { fromMocks } from "../policy/fromMocks";

setCommandStdout(clusterCommandStdout());

describe("the policy pack over the pi stack with Longhorn, backups and the minio preset", () => {
    it("passes every rule, Longhorn's namespace, Secret and RecurringJob and MinIO's release included", async () => {
        resetRegistry();
        const { values } = stackValues("pi");
        const { overrides, secretKeys } = backupOverrides();
        const services = {
            ...(values.services as Record<string, unknown>),
            storage: { kind: "longhorn" },
            ollama: { models: ["llama3:8b"], storage: { storageClass: "local-path" } },
            catalog: [{ name: "minio", preset: "minio", secretValues: { rootUser: "backupAccessKeyId", rootPassword: "backupSecretAccessKey" } }],
            // MinIO's images are frozen: accepted as for an existing install.
            acceptUnmaintained: ["quay.io/minio/minio", "quay.io/minio/mc"],
        };
        // The Pis with SSDs: three copies of MinIO's 50Gi do not fit 32 GB cards.
        const cluster = structuredClone(values.cluster) as { nodes: { capacity: Record<string, unknown> }[] };
        for (const n of cluster.nodes) n.capacity = { ...n.capacity, disk: "200Gi" };
        const p = new Picluster("picluster", planStack(stackSource("pi", { ...overrides, services, cluster }, { secretKeys })));
        await valueOf(p.kubeconfig);
        const resources = (await registeredResources()).map(fromMocks);
        expect(resources.some((r) => r.type === "kubernetes:longhorn.io/v1beta2:RecurringJob")).toBe(true);
        const { violations } = evaluate(resources, allRules, exemptions);
        expect(violations.map((v) => `${v.rule} ${v.type} ${v.name}: ${v.message}`)).toEqual([]);
    });
});

import { planStack } from "../../plan/plan";
import { describe, expect, it } from "vitest";
import { Picluster } from "../../components/picluster";
import { recorder, resetRegistry, valueOf } from "../helpers/mocks";
import { stackSource, stackValues } from "../helpers/stacks";
import * as pulumi from "@pulumi/pulumi";

async function agentDeploymentAnnotations(skipAwait: boolean): Promise<Record<string, Record<string, string>>> {
    return (await build(skipAwait)).annotations;
}

async function build(skipAwait: boolean): Promise<{ annotations: Record<string, Record<string, string>>; waits: string[] }> {
    resetRegistry();
    const rec = recorder();
    const services = { ...(stackValues("dev").values.services as Record<string, unknown>), skipAwait };
    const p = new Picluster("picluster", planStack(stackSource("dev", { services })), { transformations: [rec.transform] });
    await valueOf(p.endpoints);
    const waits = rec.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:WorkloadReadiness").map((r) => r.name).sort();
    const out: Record<string, Record<string, string>> = {};
    for (const r of rec.resources.filter((x) => ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:ResourceQuota"].includes(x.type))) {
        const metadata = (await valueOf(pulumi.output(r.props.metadata))) as { annotations?: Record<string, string> };
        out[`${r.type.split(":").pop()} ${r.name}`] = metadata.annotations ?? {};
    }
    return { annotations: out, waits };
}

describe("services.skipAwait", () => {
    it("also keeps the agent pool's Deployments and Services and the worker quota from waiting", async () => {
        const on = await agentDeploymentAnnotations(true);
        const agentOnes = Object.entries(on).filter(([k]) => /agent-host|redis|worker-agents-quota/.test(k));
        expect(agentOnes.length).toBe(5);
        expect(agentOnes.filter(([, a]) => a["pulumi.com/skipAwait"] !== "true").map(([k]) => k)).toEqual([]);
    });

    it("waits when off: the provider for Services and the quota, each Deployment's WorkloadReadiness for its pods", async () => {
        const { annotations, waits } = await build(false);
        const awaited = Object.entries(annotations).filter(([, a]) => a["pulumi.com/skipAwait"] === undefined).map(([k]) => k);
        expect(awaited.length).toBeGreaterThan(0);
        expect(awaited.filter((k) => k.startsWith("Deployment"))).toEqual([]);
        expect(waits).toEqual(["agent-host-agent-host-ready", "agent-host-redis-ready", "platform-app-placemyparents-ready"]);
        expect((await build(true)).waits).toEqual([]);
    });
});

import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { App, APP_READY_SECONDS } from "../../../components/platform/app";
import { appSchema } from "../../../config/schema/apps";
import { dependencyNames, recorder, registeredResources, resetRegistry } from "../../helpers/mocks";
import { piNodes, testCluster } from "./fixtures";

const spec = appSchema.parse({ name: "shop", image: "registry.lan/shop:1.2.3", port: 8080 });

function build(skipAwait: boolean) {
    const rec = recorder();
    const cluster = testCluster(piNodes());
    const namespace = { name: "shop", resource: cluster.readyResources[0] };
    new App("app", { cluster, namespace, spec, secretEnv: {}, skipAwait }, { transformations: [rec.transform] });
    return rec;
}

describe("an app's readiness", () => {
    beforeEach(() => resetRegistry());

    it("is waited for by its WorkloadReadiness, bounded, and its Service comes after", async () => {
        const rec = build(false);
        const rs = await registeredResources();
        const wait = rs.find((r) => r.type === "pulumi-nodejs:dynamic/picluster:WorkloadReadiness");
        expect(wait?.inputs).toMatchObject({ namespace: "shop", workloads: [{ kind: "Deployment", namespace: "shop", name: "shop" }], timeoutSeconds: APP_READY_SECONDS });
        const named = (n: string) => rec.resources.find((r) => r.name === n)!;
        expect(await dependencyNames(named("app-ready").opts)).toEqual(["app"]);
        expect(await dependencyNames(named("app-service").opts)).toContain("app-ready");
        // The provider's own await (a pod's waiting reason, no logs or events) is off for the Deployment.
        const deployment = rec.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        const metadata = await new Promise((r) => pulumi.output(deployment.props.metadata as pulumi.Input<{ annotations: Record<string, string> }>).apply(r));
        expect((metadata as { annotations: Record<string, string> }).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    it("is not waited for at all with skipAwait", async () => {
        build(true);
        const rs = await registeredResources();
        expect(rs.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:WorkloadReadiness")).toEqual([]);
    });
});

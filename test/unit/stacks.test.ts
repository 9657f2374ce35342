import { planStack } from "../../plan/plan";
import { describe, expect, it } from "vitest";
import { Picluster } from "../../components/picluster";
import { isSecret, MOCK_CLIENT_KEY, plainOccurrences, recorder, RegisteredResource, registeredResources, resetRegistry, valueOf } from "../helpers/mocks";
import { stackSource } from "../helpers/stacks";

async function build(stack: string) {
    resetRegistry();
    const rec = recorder();
    const p = new Picluster("picluster", planStack(stackSource(stack)), { transformations: [rec.transform] });
    const endpoints = await valueOf(p.endpoints);
    await valueOf(p.credentials);
    return { p, rec, endpoints, registered: await registeredResources() };
}

describe.each(["dev", "pi"])("the %s stack under mocks", (stack) => {
    let built: Awaited<ReturnType<typeof build>>;
    it("builds every enabled component and exports in-cluster endpoints", async () => {
        built = await build(stack);
        expect(built.endpoints["agent-host"]).toBe("agent-host.rustic-ai.svc.cluster.local:50051");
        if (stack === "pi") expect(built.endpoints.ollama).toBe("ollama-service.ai-services.svc.cluster.local:11434");
        else expect(built.endpoints.ollama).toBeUndefined();
        expect(await isSecret(built.p.credentials)).toBe(true);
    });

    it("binds every Kubernetes resource to the cluster's provider, never the ambient one", () => {
        const k8s = built.registered.filter((r) => r.type.startsWith("kubernetes:"));
        expect(k8s.length).toBeGreaterThan(10);
        const unbound = k8s.filter((r) => !/::cluster-k8s::/.test(r.provider ?? ""));
        expect(unbound.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    });

    it("keeps the SSH key, join token, kubeconfig and generated passwords out of plain inputs", () => {
        const needles = [
            "test-key-material",
            MOCK_CLIENT_KEY,
            ...built.registered.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => `mock-password-${r.name}`),
        ];
        expect(needles.length).toBeGreaterThan(3);
        const leaks = needles.flatMap((n) => built.registered.flatMap((r: RegisteredResource) => plainOccurrences(r.inputs, n).map((p) => `${r.name}.${p} has ${n}`)));
        expect(leaks).toEqual([]);
    });
});

import { describe, expect, it } from "vitest";
import { agentHostDemand } from "../../../plan/agentDemand";
import { ConfigError, loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { agentHostSchema, workerAgentsSchema } from "../../../config/schema/agents";

/** A stack targeting an existing cluster, so only the agent keys can be wrong. */
function problems(values: Record<string, unknown>): string[] {
    const source = objectSource("test", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: "apiVersion: v1" }, ...values }, ["cluster"]);
    try {
        loadConfig(source);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

const template = {
    name: "code-reviewer",
    image: "ghcr.io/example/code-reviewer:1.4.2",
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
};

describe("agentHost and workerAgents config", () => {
    it("defaults both to disabled when the keys are absent", () => {
        const cfg = loadConfig(objectSource("test", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: "x" } }, ["cluster"]));
        expect(cfg.agentHost.enabled).toBe(false);
        expect(cfg.workerAgents.enabled).toBe(false);
    });

    it("accepts a full pi-style configuration", () => {
        expect(
            problems({
                agentHost: { enabled: true, image: "registry.lan/rustic-ai/agent-host:0.4.2", arch: "arm64", allowedNamespaces: ["rocketchat"] },
                workerAgents: { enabled: true, templates: [{ ...template, ollama: true }] },
            }),
        ).toEqual([]);
    });

    it("names maxReplicas when it is below minReplicas", () => {
        const found = problems({ agentHost: { enabled: true, image: "registry.lan/agent-host:0.4.2", minReplicas: 5, maxReplicas: 2 } });
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(/^picluster:agentHost\.maxReplicas = 2: .*minReplicas \(5\)/);
    });

    it("names the image when it floats on :latest", () => {
        const found = problems({ agentHost: { enabled: true, image: "rustic-ai/agent-host:latest" } });
        expect(found).toEqual([expect.stringMatching(/^picluster:agentHost\.image = "rustic-ai\/agent-host:latest": .*latest/)]);
    });

    it("asks for an image when the pool is enabled without one", () => {
        expect(problems({ agentHost: { enabled: true } })).toEqual([expect.stringMatching(/^picluster:agentHost\.image = \(unset\): is required/)]);
    });

    it("names the template's backoffLimit when it is 5", () => {
        const found = problems({ workerAgents: { enabled: true, templates: [{ ...template, backoffLimit: 5 }] } });
        expect(found).toEqual([expect.stringMatching(/^picluster:workerAgents\.templates\[0\]\.backoffLimit = 5: must be 0, 1 or 2/)]);
    });

    it("refuses allkeys-lru with the reason", () => {
        const found = problems({ agentHost: { redis: { maxmemoryPolicy: "allkeys-lru" } } });
        expect(found).toEqual([expect.stringMatching(/^picluster:agentHost\.redis\.maxmemoryPolicy = "allkeys-lru": .*location registry/)]);
    });

    it("refuses a maxmemory that leaves Redis no headroom under its memory limit", () => {
        const found = problems({ agentHost: { redis: { maxmemory: "512mb" } } });
        expect(found).toEqual([expect.stringMatching(/^picluster:agentHost\.redis\.maxmemory = "512mb": .*80 %/)]);
    });

    it("reports an unpinned template image and a misspelt key together", () => {
        const found = problems({
            workerAgents: { enabled: true, templates: [template, { ...template, name: "other", image: "ghcr.io/example/other" }], templtes: [] },
        });
        expect(found).toHaveLength(2);
        expect(found).toContainEqual(expect.stringMatching(/^picluster:workerAgents\.templates\[1\]\.image = "ghcr.io\/example\/other": has no tag/));
        expect(found).toContainEqual(expect.stringMatching(/^picluster:workerAgents = .*unknown key "templtes"; did you mean "templates"\?/));
    });

    it("refuses duplicate template names", () => {
        const found = problems({ workerAgents: { enabled: true, templates: [template, template] } });
        expect(found).toEqual([expect.stringMatching(/^picluster:workerAgents\.templates\[1\]\.name = "code-reviewer": duplicates templates\[0\]/)]);
    });

    it("refuses requests above limits", () => {
        const found = problems({ agentHost: { resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } } } });
        expect(found).toEqual([expect.stringMatching(/^picluster:agentHost\.resources\.requests\.cpu = "2": exceeds limits\.cpu/)]);
    });
});

describe("agentHostDemand", () => {
    it("reports agent hosts at minReplicas and one Redis, on the pool's architecture", () => {
        const spec = agentHostSchema.parse({ enabled: true, image: "r/agent-host:0.4.2", minReplicas: 2, arch: "arm64" });
        expect(agentHostDemand(spec)).toEqual([
            { name: "rustic-ai/agent-host", arch: "arm64", cpu: "500m", memory: "1Gi", replicas: 2, limitMemory: "8Gi", limitKey: "agentHost.resources.limits.memory" },
            { name: "rustic-ai/redis", arch: "arm64", cpu: "100m", memory: "128Mi", replicas: 1, limitMemory: "512Mi", limitKey: "agentHost.redis.resources.limits.memory" },
        ]);
    });

    it("is empty when the pool is disabled", () => {
        expect(agentHostDemand(agentHostSchema.parse({}))).toEqual([]);
        expect(workerAgentsSchema.parse(undefined).enabled).toBe(false);
    });
});

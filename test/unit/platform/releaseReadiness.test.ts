import Module from "module";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { KubeApi } from "../../../components/k8s/kubeApi";
import type { Clock } from "../../../components/k8s/readiness";
import { readinessProvider, type ReadinessInputs } from "../../../components/platform/releaseReadiness";

const ROOT = path.join(__dirname, "..", "..", "..");
const inputs: ReadinessInputs = { kubeconfig: "kubeconfig-A", namespace: "ai-services", release: "ollama", revision: 1, timeoutSeconds: 30 };
const instant: Clock = { now: (() => { let t = 0; return () => (t += 1000); })(), sleep: async () => {} };

/** An API server where the release has no record: every wait ends at its bound with that reason. */
function noRelease(seen: string[]): (kubeconfig: string) => KubeApi {
    return (kubeconfig) => {
        seen.push(kubeconfig);
        return { request: async () => ({ status: 200, body: JSON.stringify({ items: [] }) }) };
    };
}

describe("the release readiness provider", () => {
    it("fails create with the wait's reason, using the kubeconfig it was given", async () => {
        const seen: string[] = [];
        await expect(readinessProvider(noRelease(seen), instant).create!(inputs)).rejects.toThrow("release ollama (namespace ai-services): Helm has no record of it after 30 s");
        expect(seen).toEqual(["kubeconfig-A"]);
    });

    it("keeps no kubeconfig in its outputs", async () => {
        // A release whose record holds no workloads is ready at once.
        const api: KubeApi = {
            request: async () => ({
                status: 200,
                body: JSON.stringify({ items: [{ metadata: { labels: { version: "1" } }, data: { release: Buffer.from(Buffer.from(JSON.stringify({ version: 1, manifest: "" })).toString("base64")).toString("base64") } }] }),
            }),
        };
        const r = await readinessProvider(() => api, instant).create!(inputs);
        expect(r.id).toBe("ai-services/ollama");
        expect(r.outs).toEqual({ namespace: "ai-services", release: "ollama", revision: 1, timeoutSeconds: 30, summary: "release ollama (namespace ai-services, revision 1): 0 workload(s) ready" });
        expect(JSON.stringify(r.outs)).not.toContain("kubeconfig");
    });

    it("waits again for a new revision, not for a rotated kubeconfig; a moved release is replaced", async () => {
        const p = readinessProvider(noRelease([]), instant);
        const olds = { namespace: "ai-services", release: "ollama", revision: 1, timeoutSeconds: 30, summary: "" };
        expect(await p.diff!("id", olds, { ...inputs, kubeconfig: "kubeconfig-B" })).toEqual({ changes: false });
        expect(await p.diff!("id", olds, { ...inputs, revision: 2 })).toEqual({ changes: true });
        expect(await p.diff!("id", olds, { ...inputs, namespace: "ollama" })).toEqual({ changes: true, replaces: ["namespace"] });
    });

    it("waits on update with the new inputs' kubeconfig", async () => {
        const seen: string[] = [];
        await expect(readinessProvider(noRelease(seen), instant).update!("id", { ...inputs, summary: "" } as never, { ...inputs, kubeconfig: "kubeconfig-B", revision: 2 })).rejects.toThrow(/Helm has no record/);
        expect(seen).toEqual(["kubeconfig-B"]);
    });

    it("waits for plain workloads too, naming them and their pods in its error", async () => {
        const api: KubeApi = {
            request: async (_m, p) => {
                if (p === "/apis/apps/v1/namespaces/rustic-ai/deployments/agent-host") {
                    return { status: 200, body: JSON.stringify({ metadata: { name: "agent-host", generation: 2 }, spec: { replicas: 1, selector: { matchLabels: { app: "agent-host" } } }, status: { observedGeneration: 2 } }) };
                }
                if (p.startsWith("/api/v1/namespaces/rustic-ai/pods?")) {
                    return { status: 200, body: JSON.stringify({ items: [{ metadata: { name: "agent-host-7f-abc" }, spec: {}, status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/5 nodes are available: 5 Insufficient memory." }] } }] }) };
                }
                return { status: 200, body: JSON.stringify({ items: [] }) };
            },
        };
        const workloads = { kubeconfig: "k", namespace: "rustic-ai", workloads: [{ kind: "Deployment" as const, namespace: "rustic-ai", name: "agent-host" }], revision: 2, timeoutSeconds: 30 };
        const error = await readinessProvider(() => api, instant).create!(workloads).then(() => undefined, (e: Error) => e);
        expect(error?.message.split("\n")).toEqual([
            "Deployment agent-host (namespace rustic-ai) is not ready after 30 s; fix the cause and run up again:",
            "  Deployment agent-host: 0 of 1 ready",
            "    pod agent-host-7f-abc: Pending: Unschedulable: 0/5 nodes are available: 5 Insufficient memory.",
        ]);
        const p = readinessProvider(() => api, instant);
        const olds = { namespace: "rustic-ai", workloads: workloads.workloads, revision: 2, timeoutSeconds: 30, summary: "" };
        expect(await p.diff!("id", olds, { ...workloads, kubeconfig: "other" })).toEqual({ changes: false });
        expect(await p.diff!("id", olds, { ...workloads, revision: 3 })).toEqual({ changes: true });
    });

    it("serialises for the dynamic-provider host, as Pulumi does before registering it", async () => {
        const provider = readinessProvider();
        const serialized = await pulumi.runtime.serializeFunction(() => provider, { isFactoryFunction: true });
        // Loaded on its own from the project's directory, as the provider host loads it: the provider works without this module graph.
        const filename = path.join(ROOT, "serialized-readiness-provider.js");
        const m = new Module(filename) as Module & { _compile(text: string, file: string): void; paths: string[] };
        m.filename = filename;
        m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(ROOT);
        m._compile(serialized.text, filename);
        const loaded = (m.exports as Record<string, pulumi.dynamic.ResourceProvider>)[serialized.exportName];
        expect(await loaded.diff!("id", { namespace: "n", release: "r", revision: 1, timeoutSeconds: 30 }, { ...inputs, namespace: "n", release: "r", revision: 2 })).toEqual({ changes: true });
        await expect(loaded.create!({ ...inputs, kubeconfig: "apiVersion: v1\nclusters: []\n" })).rejects.toThrow("the kubeconfig names no cluster server");
    });
});

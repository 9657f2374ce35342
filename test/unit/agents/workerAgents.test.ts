import * as yaml from "js-yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { renderJobTemplate } from "../../../components/agents/jobTemplate";
import { WorkerAgents } from "../../../components/agents/workerAgents";
import { workerAgentsSchema } from "../../../config/schema/agents";
import { ollamaAccess } from "../../../plan/services/ollama";
import { dependencyNames, isSecret, plainOccurrences, recorder, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";
import { find, ofKind, testCluster } from "./fixtures";

const template = {
    name: "code-reviewer",
    image: "ghcr.io/example/code-reviewer:1.4.2",
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    ollama: true,
};
const spec = (over: Record<string, unknown> = {}) => workerAgentsSchema.parse({ enabled: true, templates: [template], ...over });

async function deploy(over: Record<string, unknown> = {}, ollama: ReturnType<typeof ollamaAccess> | null = ollamaAccess({ enabled: true })) {
    const rec = recorder();
    const workers = new WorkerAgents("workers", { cluster: testCluster(), spec: spec(over), ollama: ollama ?? undefined }, { transformations: [rec.transform] });
    const resources = await registeredResources();
    return { workers, rec, resources };
}

beforeEach(() => resetRegistry());

describe("WorkerAgents namespace", () => {
    it("enforces Pod Security restricted", async () => {
        const { workers, resources } = await deploy();
        expect(await valueOf(workers.namespace!)).toBe("worker-agents");
        expect(find(resources, "Namespace", "worker-agents").metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
    });

    it("caps the namespace with a ResourceQuota and defaults containers with a LimitRange", async () => {
        const { resources } = await deploy({ quota: { pods: 4, jobs: 6 } });
        expect(find(resources, "ResourceQuota", "worker-agents").spec.hard).toEqual({
            "requests.cpu": "4",
            "requests.memory": "8Gi",
            "limits.cpu": "8",
            "limits.memory": "16Gi",
            pods: "4",
            "count/jobs.batch": "6",
        });
        expect(find(resources, "LimitRange", "worker-agents").spec.limits).toEqual([
            { type: "Container", defaultRequest: { cpu: "100m", memory: "128Mi" }, default: { cpu: "500m", memory: "512Mi" } },
        ]);
    });

    it("denies all traffic but DNS, and Ollama on 11434 in ai-services for labelled pods only", async () => {
        const { resources } = await deploy();
        const p = Object.fromEntries(ofKind(resources, "NetworkPolicy").map((x) => [x.metadata.name, x.spec]));
        expect(Object.keys(p).sort()).toEqual(["allow-dns", "allow-ollama", "default-deny"]);
        expect(p["default-deny"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        expect(p["allow-dns"].egress[0].ports.map((x: any) => x.port)).toEqual([53, 53]);
        expect(p["allow-ollama"]).toEqual({
            podSelector: { matchLabels: { "picluster.dev/ollama-access": "true" } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ai-services" } } }], ports: [{ protocol: "TCP", port: 11434 }] }],
        });
        expect(ofKind(resources, "NetworkPolicy").every((x) => !x.spec.ingress)).toBe(true);
    });

    it("opens no egress to an Ollama the plan did not find", async () => {
        const { resources } = await deploy({}, null);
        expect(ofKind(resources, "NetworkPolicy").map((x) => x.metadata.name).sort()).toEqual(["allow-dns", "default-deny"]);
    });

    it("gives workers a ServiceAccount without a token", async () => {
        const { resources } = await deploy();
        expect(find(resources, "ServiceAccount", "worker-agent").automountServiceAccountToken).toBe(false);
    });
});

describe("WorkerAgents orchestrator access", () => {
    it("grants a namespaced Role over Jobs, pods and pod logs only", async () => {
        const { resources } = await deploy();
        expect(ofKind(resources, "ClusterRole")).toEqual([]);
        expect(ofKind(resources, "ClusterRoleBinding")).toEqual([]);
        const role = find(resources, "Role", "orchestrator");
        expect(role.metadata.namespace).toBe("worker-agents");
        const allowed: Record<string, string[]> = {
            "batch/jobs": ["create", "get", "list", "watch", "delete"],
            "/pods": ["get", "list", "watch"],
            "/pods/log": ["get"],
        };
        for (const rule of role.rules as any[]) {
            expect(rule.resourceNames).toBeUndefined();
            for (const group of rule.apiGroups) {
                for (const res of rule.resources) {
                    const verbs = allowed[`${group}/${res}`];
                    expect(verbs, `${group}/${res}`).toBeDefined();
                    for (const v of rule.verbs) expect(verbs, `${v} on ${group}/${res}`).toContain(v);
                }
            }
        }
        const jobVerbs = (role.rules as any[]).find((r) => r.resources.includes("jobs")).verbs;
        expect([...jobVerbs].sort()).toEqual(["create", "delete", "get", "list", "watch"]);
        expect(JSON.stringify(role.rules)).not.toContain("*");
    });

    it("binds the Role to the orchestrator ServiceAccount in the same namespace", async () => {
        const { resources } = await deploy();
        const binding = find(resources, "RoleBinding", "orchestrator");
        expect(binding.metadata.namespace).toBe("worker-agents");
        expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "orchestrator" });
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "orchestrator", namespace: "worker-agents" }]);
    });

    it("binds the orchestrator only after the admission guardrails exist", async () => {
        const { rec } = await deploy();
        const binding = rec.resources.find((r) => r.name === "workers-orchestrator-binding")!;
        expect(await dependencyNames(binding.opts)).toContain("workers-job-policy-binding");
    });

    it("issues a secret kubeconfig with the orchestrator's token, the cluster's server and CA, and the worker namespace", async () => {
        const { workers, resources } = await deploy();
        const token = find(resources, "Secret", "orchestrator-token");
        expect(token.type).toBe("kubernetes.io/service-account-token");
        expect(token.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "orchestrator" });

        expect(await isSecret(workers.orchestratorKubeconfig!)).toBe(true);
        const text = await valueOf(workers.orchestratorKubeconfig!);
        const kc = yaml.load(text) as any;
        expect(kc.clusters[0].cluster).toEqual({ server: "https://192.168.1.10:6443", "certificate-authority-data": "Q0EtREFUQQ==" });
        expect(kc.users).toEqual([{ name: "orchestrator", user: { token: "mock-sa-token-workers-orchestrator-token" } }]);
        expect(kc.contexts[0].context).toEqual({ cluster: "picluster", user: "orchestrator", namespace: "worker-agents" });
        expect(kc["current-context"]).toBe(kc.contexts[0].name);
        // Nothing of the admin identity leaks into the scoped file.
        expect(text).not.toContain("client-key-data");
        expect(text).not.toContain("QURNSU4tS0VZ");
        for (const r of resources) expect(plainOccurrences(r.inputs, "mock-sa-token")).toEqual([]);
    });

    it("issues no token and no kubeconfig when not asked", async () => {
        const { workers, resources } = await deploy({ issueOrchestratorKubeconfig: false });
        expect(workers.orchestratorKubeconfig).toBeUndefined();
        expect(ofKind(resources, "Secret")).toEqual([]);
        expect(find(resources, "Role", "orchestrator")).toBeDefined();
    });
});

describe("WorkerAgents Job templates and guardrails", () => {
    it("stores each rendered template in the job-templates ConfigMap and exports it by name", async () => {
        const { workers, resources } = await deploy();
        const expected = renderJobTemplate(spec().templates[0], "worker-agents", ollamaAccess({ enabled: true }));
        expect(workers.jobTemplates).toEqual({ "code-reviewer": expected });
        expect(find(resources, "ConfigMap", "job-templates").data).toEqual({ "code-reviewer.yaml": expected });
    });

    it("rejects non-compliant Jobs in the worker namespace with a v1 ValidatingAdmissionPolicy and binding", async () => {
        const { resources } = await deploy();
        const [policy] = ofKind(resources, "ValidatingAdmissionPolicy");
        const [binding] = ofKind(resources, "ValidatingAdmissionPolicyBinding");
        const kinds = resources.filter((r) => r.type.includes("ValidatingAdmissionPolicy")).map((r) => r.type);
        expect(kinds.every((t) => t.startsWith("kubernetes:admissionregistration.k8s.io/v1:"))).toBe(true);
        expect(policy.spec.failurePolicy).toBe("Fail");
        expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs"] }]);
        const rules = (policy.spec.validations as any[]).map((v) => v.expression).join("\n");
        for (const field of ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "restartPolicy", "automountServiceAccountToken", "resources", "allowPrivilegeEscalation", "latest"]) {
            expect(rules).toContain(field);
        }
        expect(binding.spec).toEqual({
            policyName: policy.metadata.name,
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "worker-agents" } } },
        });
    });
});

describe("WorkerAgents wiring", () => {
    it("registers every Kubernetes resource with the cluster provider", async () => {
        const { resources } = await deploy();
        const kube = resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(kube.length).toBeGreaterThan(10);
        for (const r of kube) expect(r.provider, `${r.type} ${r.name}`).toContain("pulumi:providers:kubernetes::test-cluster");
    });

    it("creates the namespace after the cluster is ready and the rest after the namespace", async () => {
        const { rec } = await deploy();
        const ns = rec.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
        expect(await dependencyNames(ns.opts)).toEqual(["nodes-ready"]);
        for (const r of rec.resources.filter((x) => x.type.startsWith("kubernetes:") && x !== ns)) {
            expect(await dependencyNames(r.opts), r.name).toContain("workers-namespace");
        }
    });

    it("registers nothing when disabled", async () => {
        const workers = new WorkerAgents("workers", { cluster: testCluster(), spec: workerAgentsSchema.parse({ enabled: false, templates: [template] }) });
        const resources = await registeredResources();
        expect(resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
        expect(workers.namespace).toBeUndefined();
        expect(workers.orchestratorKubeconfig).toBeUndefined();
        expect(workers.jobTemplates).toEqual({});
    });
});

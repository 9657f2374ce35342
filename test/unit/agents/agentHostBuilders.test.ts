import { describe, expect, it } from "vitest";
import { agentHostDeploymentSpec, agentHostEnv, agentHostHpaSpec } from "../../../components/agents/agentHost/host";
import { agentHostNetworkPolicies } from "../../../components/agents/agentHost/network";
import { redisAuthData, redisDeploymentSpec } from "../../../components/agents/agentHost/redis";
import { agentHostSchema } from "../../../config/schema/agents";
import { ollamaAccess } from "../../../plan/services/ollama";

const IN_CLUSTER = ollamaAccess({ enabled: true });
const EXTERNAL = ollamaAccess({ enabled: false, external: { url: "http://192.168.1.50:11434" } });

const spec = (over: Record<string, unknown> = {}) => agentHostSchema.parse({ enabled: true, image: "registry.lan/rustic-ai/agent-host:0.4.2", ...over });
const refs = { serviceAccountName: "agent-host", authSecretName: "redis-auth", configMapName: "redis-config" };

describe("agent-host network policies (pure)", () => {
    it("allow only the pool's own flows (the namespace denies the rest)", () => {
        const policies = agentHostNetworkPolicies(spec({ ollamaAccess: false }));
        expect(policies.map((p) => p.name)).toEqual(["redis-from-agent-host", "agent-host-egress", "agent-host-grpc-ingress"]);
        const egress = policies[1].spec.egress as { ports: { port: number }[] }[];
        expect(egress.map((r) => r.ports[0].port)).toEqual([6379, 50051]);
    });

    it("add Ollama and API-server egress and namespace ingress only when asked", () => {
        const policies = agentHostNetworkPolicies(spec({ ollamaAccess: true, apiServerCidrs: ["192.168.1.10/32"], allowedNamespaces: ["worker-agents"] }), IN_CLUSTER);
        const egress = policies[1].spec.egress as { to: unknown[]; ports: { port: number }[] }[];
        expect(egress.map((r) => r.ports.map((p) => p.port))).toEqual([[6379], [50051], [11434], [443, 6443]]);
        const from = (policies[2].spec.ingress as { from: unknown[] }[])[0].from;
        expect(from).toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "worker-agents" } } });
    });

    it("open egress to an external Ollama's address and port, and to no Ollama when the plan found none", () => {
        const external = agentHostNetworkPolicies(spec({ ollamaAccess: true }), EXTERNAL)[1].spec.egress;
        expect(external).toContainEqual({ to: [{ ipBlock: { cidr: "192.168.1.50/32" } }], ports: [{ protocol: "TCP", port: 11434 }] });
        const none = agentHostNetworkPolicies(spec({ ollamaAccess: true }), undefined)[1].spec.egress as { ports: { port: number }[] }[];
        expect(none.map((r) => r.ports[0].port)).toEqual([6379, 50051]);
    });
});

describe("Redis builders (pure)", () => {
    it("keep the password out of argv and the ConfigMap: Secret data and an env var only", () => {
        expect(redisAuthData("pw")).toEqual({ password: "pw", url: "redis://:pw@redis:6379/0", "auth.conf": "requirepass pw\n" });
        const d = redisDeploymentSpec(spec().redis, refs) as any;
        const container = d.template.spec.containers[0];
        expect(container.command).toEqual(["redis-server", "/config/redis.conf"]);
        expect(container.env).toEqual([{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: "redis-auth", key: "password" } } }]);
        expect(d.replicas).toBe(1);
    });

    it("roll Redis when its config changes", () => {
        const hash = (maxmemory: string) => (redisDeploymentSpec(spec({ redis: { maxmemory } }).redis, refs) as any).template.metadata.annotations["picluster.dev/config-sha256"];
        expect(hash("128mb")).not.toBe(hash("200mb"));
    });
});

describe("agent-host Deployment and HPA builders (pure)", () => {
    it("leave replicas to the HPA and mount no API token without apiServerCidrs", () => {
        const d = agentHostDeploymentSpec(spec(), refs) as any;
        expect(d).not.toHaveProperty("replicas");
        expect(d.template.spec.automountServiceAccountToken).toBe(false);
        expect((agentHostDeploymentSpec(spec({ apiServerCidrs: ["10.0.0.1/32"] }), refs) as any).template.spec.automountServiceAccountToken).toBe(true);
    });

    it("point OLLAMA_HOST at the shared Ollama address only with ollamaAccess", () => {
        const names = (over: Record<string, unknown>) => agentHostEnv(spec(over), "redis-auth", IN_CLUSTER).map((e) => e.name);
        expect(agentHostEnv(spec({ ollamaAccess: true }), "redis-auth", IN_CLUSTER)).toContainEqual({ name: "OLLAMA_HOST", value: "http://ollama-service.ai-services.svc.cluster.local:11434" });
        expect(agentHostEnv(spec({ ollamaAccess: true }), "redis-auth", EXTERNAL)).toContainEqual({ name: "OLLAMA_HOST", value: "http://192.168.1.50:11434" });
        expect(names({ ollamaAccess: false })).not.toContain("OLLAMA_HOST");
        expect(agentHostEnv(spec({ ollamaAccess: true }), "redis-auth").map((e) => e.name)).not.toContain("OLLAMA_HOST");
    });

    it("scale between minReplicas and maxReplicas on CPU and memory", () => {
        const hpa = agentHostHpaSpec(spec({ minReplicas: 2, maxReplicas: 6 }), "agent-host") as any;
        expect([hpa.minReplicas, hpa.maxReplicas, hpa.scaleTargetRef.name]).toEqual([2, 6, "agent-host"]);
        expect(hpa.metrics.map((m: any) => m.resource.name)).toEqual(["cpu", "memory"]);
    });
});

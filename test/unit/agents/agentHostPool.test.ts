import { beforeEach, describe, expect, it } from "vitest";
import { AgentHostPool, redisConfig } from "../../../components/agents/agentHostPool";
import { agentChecks } from "../../../plan/checks";
import { agentHostSchema, workerAgentsSchema } from "../../../config/schema/agents";
import { clusterSchema } from "../../../config/schema/cluster";
import { ollamaAccess } from "../../../plan/services/ollama";
import { dependencyNames, isSecret, plainOccurrences, recorder, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";
import { find, ofKind, testCluster } from "./fixtures";

const IMAGE = "registry.lan/rustic-ai/agent-host:0.4.2";
const spec = (over: Record<string, unknown> = {}) => agentHostSchema.parse({ enabled: true, image: IMAGE, ...over });

async function deploy(over: Record<string, unknown> = {}, ollama: ReturnType<typeof ollamaAccess> | null = ollamaAccess({ enabled: true })) {
    const rec = recorder();
    const pool = new AgentHostPool("pool", { cluster: testCluster(), spec: spec(over), ollama: ollama ?? undefined }, { transformations: [rec.transform] });
    const resources = await registeredResources();
    return { pool, rec, resources };
}

const container = (deployment: Record<string, any>) => deployment.spec.template.spec.containers[0];
const envOf = (c: Record<string, any>) => Object.fromEntries((c.env as any[]).map((e) => [e.name, e.value ?? e.valueFrom]));

beforeEach(() => resetRegistry());

describe("AgentHostPool keeps upstream's numbers", () => {
    it("autoscales between 3 and 20 replicas on 70 % CPU and 75 % memory", async () => {
        const { resources } = await deploy();
        const hpa = find(resources, "HorizontalPodAutoscaler", "agent-host");
        expect(hpa.spec.minReplicas).toBe(3);
        expect(hpa.spec.maxReplicas).toBe(20);
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "agent-host" });
        const targets = Object.fromEntries((hpa.spec.metrics as any[]).map((m) => [m.resource.name, m.resource.target]));
        expect(targets).toEqual({
            cpu: { type: "Utilization", averageUtilization: 70 },
            memory: { type: "Utilization", averageUtilization: 75 },
        });
    });

    it("scales down slowly and up fast with upstream's behaviour policies", async () => {
        const { resources } = await deploy();
        const { behavior } = find(resources, "HorizontalPodAutoscaler", "agent-host").spec;
        expect(behavior.scaleDown).toEqual({
            stabilizationWindowSeconds: 300,
            selectPolicy: "Min",
            policies: [
                { type: "Percent", value: 50, periodSeconds: 60 },
                { type: "Pods", value: 2, periodSeconds: 60 },
            ],
        });
        expect(behavior.scaleUp).toEqual({
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [
                { type: "Percent", value: 100, periodSeconds: 60 },
                { type: "Pods", value: 4, periodSeconds: 60 },
            ],
        });
    });

    it("passes the HPA bounds and targets from config", async () => {
        const { resources } = await deploy({ minReplicas: 1, maxReplicas: 4, hpa: { cpuUtilization: 50 } });
        const hpa = find(resources, "HorizontalPodAutoscaler", "agent-host");
        expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([1, 4]);
        expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(50);
        expect(hpa.spec.metrics[1].resource.target.averageUtilization).toBe(75);
    });

    it("sets upstream's environment, with REDIS_URL from the Secret and HOSTNAME from the pod name", async () => {
        const { resources } = await deploy();
        const env = envOf(container(find(resources, "Deployment", "agent-host")));
        expect(env.GRPC_PORT).toBe("50051");
        expect(env.MAX_PROCESSES).toBe("100");
        expect(env.HEARTBEAT_INTERVAL).toBe("20");
        expect(env.HOSTNAME).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
        expect(env.REDIS_URL).toEqual({ secretKeyRef: { name: "redis-auth", key: "url" } });
    });

    it("exposes port 50051 named grpc through the headless Service agent-host", async () => {
        const { pool, resources } = await deploy();
        expect(container(find(resources, "Deployment", "agent-host")).ports).toEqual([{ containerPort: 50051, name: "grpc", protocol: "TCP" }]);
        const svc = find(resources, "Service", "agent-host");
        expect(svc.metadata.namespace).toBe("rustic-ai");
        expect(svc.spec.clusterIP).toBe("None");
        expect(svc.spec.ports).toEqual([{ name: "grpc", port: 50051, targetPort: 50051, protocol: "TCP" }]);
        expect(svc.spec.selector).toEqual({ app: "agent-host" });
        expect(await valueOf(pool.grpcEndpoint!)).toBe("agent-host.rustic-ai.svc.cluster.local:50051");
    });

    it("requests 500m/1Gi and limits 4000m/8Gi by default, configurable", async () => {
        const { resources } = await deploy();
        expect(container(find(resources, "Deployment", "agent-host")).resources).toEqual({
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "4000m", memory: "8Gi" },
        });
        resetRegistry();
        const small = await deploy({ resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } } });
        expect(container(find(small.resources, "Deployment", "agent-host")).resources.limits).toEqual({ cpu: "1", memory: "2Gi" });
    });

    it("keeps upstream's least-privilege Role: endpoints get/list/watch and pods get/list", async () => {
        const { resources } = await deploy();
        expect(find(resources, "Role", "agent-host").rules).toEqual([
            { apiGroups: [""], resources: ["endpoints"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        ]);
        const binding = find(resources, "RoleBinding", "agent-host");
        expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "agent-host" });
        expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "agent-host", namespace: "rustic-ai" }]);
        expect(ofKind(resources, "ClusterRole")).toHaveLength(0);
        expect(ofKind(resources, "ClusterRoleBinding")).toHaveLength(0);
    });

    it("waits 60 s for agents to stop on termination", async () => {
        const { resources } = await deploy();
        expect(find(resources, "Deployment", "agent-host").spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    });
});

describe("AgentHostPool hardening beyond upstream", () => {
    it("leaves spec.replicas to the HPA", async () => {
        const { resources } = await deploy();
        expect(find(resources, "Deployment", "agent-host").spec).not.toHaveProperty("replicas");
    });

    it("runs both containers pinned, non-root, without privilege escalation, with all capabilities dropped and seccomp RuntimeDefault", async () => {
        const { resources } = await deploy();
        for (const name of ["agent-host", "redis"]) {
            const pod = find(resources, "Deployment", name).spec.template.spec;
            expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
            expect(pod.securityContext.runAsNonRoot).toBe(true);
            for (const c of pod.containers) {
                expect(c.image).toMatch(/:\d+\.\d+/);
                expect(c.image).not.toMatch(/:latest$/);
                expect(c.securityContext).toMatchObject({
                    runAsNonRoot: true,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                });
                expect(c.securityContext.runAsUser).toBeGreaterThan(0);
                expect(c.resources.requests).toHaveProperty("cpu");
                expect(c.resources.limits).toHaveProperty("memory");
            }
        }
    });

    it("pins Redis instead of redis:7-alpine", async () => {
        const { resources } = await deploy();
        expect(container(find(resources, "Deployment", "redis")).image).toBe("redis:7.4.9-alpine");
    });

    it("gives each container a liveness probe that differs from its readiness probe", async () => {
        const { resources } = await deploy();
        for (const name of ["agent-host", "redis"]) {
            const c = container(find(resources, "Deployment", name));
            expect(c.livenessProbe).toBeDefined();
            expect(c.readinessProbe).toBeDefined();
            expect(c.livenessProbe).not.toEqual(c.readinessProbe);
        }
        const host = container(find(resources, "Deployment", "agent-host"));
        expect(host.livenessProbe.tcpSocket).toEqual({ port: "grpc" });
        expect(host.readinessProbe.exec.command.join(" ")).toContain("Health");
    });

    it("spreads agent hosts across nodes", async () => {
        const { resources } = await deploy();
        const [spread] = find(resources, "Deployment", "agent-host").spec.template.spec.topologySpreadConstraints;
        expect(spread).toMatchObject({ topologyKey: "kubernetes.io/hostname", maxSkew: 1, labelSelector: { matchLabels: { app: "agent-host" } } });
    });

    it("places the pool on the configured architecture only", async () => {
        const { resources } = await deploy({ arch: "arm64" });
        for (const name of ["agent-host", "redis"]) {
            expect(find(resources, "Deployment", name).spec.template.spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
        }
    });

    it("is refused by the plan when no declared node has its architecture", () => {
        const nodes = [{ name: "cp", host: "10.0.0.1", sshPort: 22, user: "pi", role: "server", arch: "amd64", labels: {}, taints: [], gpu: false }] as any;
        const cluster = clusterSchema.parse({ k3sVersion: "v1.33.5+k3s1", nodes });
        expect(agentChecks({ cluster, agentHost: spec({ arch: "arm64" }), workerAgents: workerAgentsSchema.parse({}) })).toEqual([
            expect.stringMatching(/^picluster:agentHost\.arch = "arm64": no declared node has that architecture/),
        ]);
    });

    it("protects the pool with a PodDisruptionBudget", async () => {
        const { resources } = await deploy();
        const pdb = find(resources, "PodDisruptionBudget", "agent-host");
        expect(pdb.spec.maxUnavailable).toBe(1);
        expect(pdb.spec.selector).toEqual({ matchLabels: { app: "agent-host" } });
    });

    it("enforces Pod Security restricted on the rustic-ai namespace", async () => {
        const { resources } = await deploy();
        expect(find(resources, "Namespace", "rustic-ai").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
    });

    it("configures Redis from settings with noeviction by default instead of allkeys-lru", async () => {
        const { resources } = await deploy({ redis: { maxmemory: "128mb" } });
        const conf = find(resources, "ConfigMap", "redis-config").data["redis.conf"] as string;
        expect(conf).toContain("maxmemory 128mb\n");
        expect(conf).toContain("maxmemory-policy noeviction\n");
        expect(conf).not.toContain("allkeys");
        expect(redisConfig(spec({ redis: { maxmemoryPolicy: "volatile-lru" } }).redis)).toContain("maxmemory-policy volatile-lru\n");
    });
});

describe("AgentHostPool network policies", () => {
    const policies = async (over: Record<string, unknown> = {}) => {
        const { resources } = await deploy(over);
        return Object.fromEntries(ofKind(resources, "NetworkPolicy").map((p) => [p.metadata.name, p.spec]));
    };

    it("denies all ingress and egress by default in the namespace", async () => {
        const p = await policies();
        expect(p["default-deny"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allows DNS egress to kube-dns on port 53", async () => {
        const p = await policies();
        expect(p["allow-dns"].egress[0].ports).toEqual([
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ]);
        expect(p["allow-dns"].egress[0].to[0].podSelector).toEqual({ matchLabels: { "k8s-app": "kube-dns" } });
    });

    it("lets only agent hosts reach Redis, on 6379", async () => {
        const p = await policies();
        expect(p["redis-from-agent-host"]).toEqual({
            podSelector: { matchLabels: { app: "redis" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: { matchLabels: { app: "agent-host" } } }], ports: [{ protocol: "TCP", port: 6379 }] }],
        });
        const egress = p["agent-host-egress"].egress as any[];
        expect(egress).toContainEqual({ to: [{ podSelector: { matchLabels: { app: "redis" } } }], ports: [{ protocol: "TCP", port: 6379 }] });
    });

    it("admits gRPC only from the pool itself and the allowed namespaces", async () => {
        const closed = await policies();
        expect(closed["agent-host-grpc-ingress"].ingress).toEqual([
            { from: [{ podSelector: { matchLabels: { app: "agent-host" } } }], ports: [{ protocol: "TCP", port: 50051 }] },
        ]);
        resetRegistry();
        const open = await policies({ allowedNamespaces: ["orchestrator"] });
        expect(open["agent-host-grpc-ingress"].ingress[0].from).toContainEqual({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "orchestrator" } },
        });
        expect(open["agent-host-grpc-ingress"].ingress[0].ports).toEqual([{ protocol: "TCP", port: 50051 }]);
    });

    it("opens Ollama and the API server only when configured", async () => {
        const off = await policies({ ollamaAccess: false });
        expect(JSON.stringify(off["agent-host-egress"])).not.toContain("11434");
        expect(JSON.stringify(off["agent-host-egress"])).not.toContain("ipBlock");
        resetRegistry();
        const on = await policies({ apiServerCidrs: ["192.168.1.10/32"] });
        expect(on["agent-host-egress"].egress).toContainEqual({
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ai-services" } } }],
            ports: [{ protocol: "TCP", port: 11434 }],
        });
        expect(on["agent-host-egress"].egress).toContainEqual(expect.objectContaining({ to: [{ ipBlock: { cidr: "192.168.1.10/32" } }] }));
    });

    it("opens no egress to, and sets no OLLAMA_HOST for, an Ollama the plan did not find", async () => {
        const { resources } = await deploy({ ollamaAccess: true }, null);
        const egress = find(resources, "NetworkPolicy", "agent-host-egress").spec.egress;
        expect(JSON.stringify(egress)).not.toContain("11434");
        expect(Object.keys(envOf(container(find(resources, "Deployment", "agent-host"))))).not.toContain("OLLAMA_HOST");
    });

    it("mounts an API token only when the API server is reachable", async () => {
        const { resources } = await deploy();
        expect(find(resources, "Deployment", "agent-host").spec.template.spec.automountServiceAccountToken).toBe(false);
        resetRegistry();
        const withApi = await deploy({ apiServerCidrs: ["192.168.1.10/32"] });
        expect(find(withApi.resources, "Deployment", "agent-host").spec.template.spec.automountServiceAccountToken).toBe(true);
    });
});

describe("AgentHostPool readiness", () => {
    it("starts the agent hosts once Redis's pods are ready, and makes their Service once theirs are, each wait bounded and diagnosed", async () => {
        const { rec } = await deploy();
        const named = (name: string) => rec.resources.find((r) => r.name === name)!;
        expect(named("pool-redis-ready").type).toBe("pulumi-nodejs:dynamic/picluster:WorkloadReadiness");
        expect(await dependencyNames(named("pool-agent-host").opts)).toContain("pool-redis-ready");
        expect(await dependencyNames(named("pool-agent-host-service").opts)).toContain("pool-agent-host-ready");
        expect(await dependencyNames(named("pool-redis-service").opts)).toContain("pool-redis-ready");
        // The provider's own await is off for the Deployments: their readiness waits, and says why.
        expect((named("pool-agent-host").props.metadata as Record<string, any>).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });
});

describe("AgentHostPool secrets and wiring", () => {
    it("keeps the generated Redis password out of every plain input", async () => {
        const { pool, resources } = await deploy();
        const password = await valueOf(pool.redisPassword!);
        expect(password).toMatch(/^mock-password-/);
        expect(await isSecret(pool.redisPassword!)).toBe(true);
        for (const r of resources) expect(plainOccurrences(r.inputs, password), `${r.type} ${r.name}`).toEqual([]);
    });

    it("sets requirepass through the Secret-mounted file, never in the ConfigMap or argv", async () => {
        const { pool, resources } = await deploy();
        const password = await valueOf(pool.redisPassword!);
        const secret = find(resources, "Secret", "redis-auth");
        expect(secret.stringData["auth.conf"]).toBe(`requirepass ${password}\n`);
        expect(secret.stringData.url).toBe(`redis://:${password}@redis:6379/0`);
        const conf = find(resources, "ConfigMap", "redis-config").data["redis.conf"];
        expect(conf).toContain("include /secrets/auth.conf");
        expect(conf).not.toContain("requirepass");
        const redis = container(find(resources, "Deployment", "redis"));
        expect(redis.command.join(" ")).not.toContain("requirepass");
        expect(redis.volumeMounts).toContainEqual({ name: "auth", mountPath: "/secrets", readOnly: true });
    });

    it("registers every Kubernetes resource with the cluster provider", async () => {
        const { resources } = await deploy();
        const kube = resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(kube.length).toBeGreaterThan(10);
        for (const r of kube) expect(r.provider, `${r.type} ${r.name}`).toContain("pulumi:providers:kubernetes::test-cluster");
    });

    it("creates the namespace only after the cluster is ready, and everything else after the namespace", async () => {
        const { rec } = await deploy();
        const ns = rec.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
        expect(await dependencyNames(ns.opts)).toEqual(["nodes-ready"]);
        for (const r of rec.resources.filter((x) => x.type.startsWith("kubernetes:") && x !== ns)) {
            expect(await dependencyNames(r.opts), r.name).toContain("pool-namespace");
        }
    });

    it("registers nothing when disabled", async () => {
        const pool = new AgentHostPool("pool", { cluster: testCluster(), spec: agentHostSchema.parse({ enabled: false }) });
        const resources = await registeredResources();
        expect(resources.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("random:"))).toEqual([]);
        expect(pool.grpcEndpoint).toBeUndefined();
        expect(pool.redisPassword).toBeUndefined();
    });
});

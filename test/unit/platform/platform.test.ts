import { beforeEach, describe, expect, it } from "vitest";
import { CapacityError } from "../../../plan/capacityText";
import { Platform } from "../../../components/platform/platform";
import { ConfigError } from "../../../config/load";
import { servicesSchema } from "../../../config/schema/services";
import {
    dependencyNames,
    isSecret,
    isSecretEnvelope,
    plainOccurrences,
    recorder,
    registeredResources,
    resetRegistry,
    unwrapSecrets,
    valueOf,
    type RegisteredResource,
} from "../../helpers/mocks";
import { node, piApps, piNodes, piServices, platformPlan, SECRET_CONFIG, testCluster } from "./fixtures";

type Values = Record<string, any>;

const releases = (rs: RegisteredResource[]) => rs.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
const release = (rs: RegisteredResource[], name: string) => {
    const r = releases(rs).find((x) => x.inputs.name === name);
    if (!r) throw new Error(`no release ${name}; have ${releases(rs).map((x) => x.inputs.name).join(", ")}`);
    return r;
};
const plainValues = (r: RegisteredResource) => unwrapSecrets(r.inputs.values) as Values;
const mongoPod = (rs: RegisteredResource[]) => (rs.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && (r.inputs.metadata as Values).name === "rocketchat-mongo")?.inputs as Values).spec.template.spec as Values;

let n = 0;
function build(opts: { services?: ReturnType<typeof piServices>; apps?: ReturnType<typeof piApps>; nodes?: ReturnType<typeof piNodes> } = {}) {
    const nodes = opts.nodes ?? piNodes();
    const plan = platformPlan(opts.services ?? piServices(), opts.apps ?? piApps(), nodes);
    const cluster = testCluster(nodes);
    const rec = recorder();
    const platform = new Platform(`pf${++n}`, { cluster, plan }, { transformations: [rec.transform] });
    return { cluster, rec, platform };
}

describe("Platform", () => {
    beforeEach(() => resetRegistry());

    it("pins chart, repository and version of every release", async () => {
        build();
        const rs = releases(await registeredResources());
        const pinned = Object.fromEntries(rs.map((r) => [r.inputs.name, [r.inputs.chart, (r.inputs.repositoryOpts as Values | undefined)?.repo, r.inputs.version]]));
        expect(pinned).toEqual({
            ollama: ["ollama", "https://helm.otwld.com/", "1.77.0"],
            cnpg: ["cloudnative-pg", "https://cloudnative-pg.github.io/charts", "0.29.0"],
            postgres: ["cluster", "https://cloudnative-pg.github.io/charts", "0.8.1"],
            rocketchat: ["rocketchat", "https://rocketchat.github.io/helm-charts", "7.0.2"],
            monitoring: ["kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "88.5.3"],
            jupyterhub: ["jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.3.3"],
            rabbitmq: ["oci://registry-1.docker.io/cloudpirates/rabbitmq", undefined, "0.21.18"],
            headlamp: ["headlamp", "https://kubernetes-sigs.github.io/headlamp/", "0.33.0"],
            "nvidia-device-plugin": ["nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.17.1"],
        });
        for (const r of rs) {
            expect(r.inputs.version).toMatch(/^\d+\.\d+\.\d+$/);
            expect(r.inputs.timeout).toBeGreaterThanOrEqual(60);
        }
    });

    it("waits for every release's workloads after it, bounded by its timeout, with Helm neither waiting nor rolling back", async () => {
        const { rec } = build();
        const rs = await registeredResources();
        const waits = rs.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:ReleaseReadiness");
        expect(waits.map((w) => w.inputs.release).sort()).toEqual(releases(rs).map((r) => r.inputs.name).sort());
        for (const r of releases(rs)) {
            expect(r.inputs).toMatchObject({ atomic: false, skipAwait: true });
            const wait = waits.find((w) => w.inputs.release === r.inputs.name)!;
            expect(wait.inputs).toMatchObject({ namespace: r.inputs.namespace, timeoutSeconds: r.inputs.timeout });
            // The API server is reached with the cluster's kubeconfig, kept secret.
            expect(isSecretEnvelope(wait.inputs.kubeconfig)).toBe(true);
        }
        // The wait comes after its release; the database cluster after the operator's wait (its webhook must answer).
        const named = (name: string, type: string) => rec.resources.find((r) => r.name === name && r.type === type)!;
        expect(await dependencyNames(named(`pf${n}-ollama-ready`, "pulumi-nodejs:dynamic/picluster:ReleaseReadiness").opts)).toContain(`pf${n}-ollama`);
        expect(await dependencyNames(named(`pf${n}-postgres-cluster`, "kubernetes:helm.sh/v3:Release").opts)).toContain(`pf${n}-postgres-operator-ready`);
    });

    it("pins Rocket.Chat and its MongoDB to amd64", async () => {
        build();
        const v = plainValues(release(await registeredResources(), "rocketchat"));
        expect(v.nodeSelector["kubernetes.io/arch"]).toBe("amd64");
        expect(v.global.nodeSelector["kubernetes.io/arch"]).toBe("amd64");
        expect(mongoPod(await registeredResources()).nodeSelector["kubernetes.io/arch"]).toBe("amd64");
    });

    it("keeps Rocket.Chat on amd64 even when the stack overrides its values", async () => {
        const nodes = piNodes().map((x) => (x.name === "tower" ? { ...x, labels: { disk: "ssd" } } : x));
        build({ nodes, services: piServices({ rocketchat: { nodeSelector: { disk: "ssd" }, values: { replicaCount: 2 } } }) });
        const v = plainValues(release(await registeredResources(), "rocketchat"));
        expect(v.replicaCount).toBe(2);
        expect(mongoPod(await registeredResources()).nodeSelector).toEqual({ "kubernetes.io/arch": "amd64", disk: "ssd" });
    });

    it("runs Ollama on the GPU node with the NVIDIA runtime class and a GPU, reachable as ollama-service.ai-services", async () => {
        const { platform } = build();
        const rs = await registeredResources();
        const r = release(rs, "ollama");
        const v = plainValues(r);
        expect(r.inputs.namespace).toBe("ai-services");
        expect(v.fullnameOverride).toBe("ollama-service");
        expect(v.runtimeClassName).toBe("nvidia");
        expect(v.ollama.gpu).toEqual({ enabled: true, type: "nvidia", number: 1 });
        expect(v.nodeSelector).toEqual({ "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "tower" });
        expect(v.ollama.models.pull).toEqual(["llama3:8b"]);
        expect(v.persistentVolume).toMatchObject({ enabled: true, storageClass: "local-path" });
        expect(v.readinessProbe.initialDelaySeconds).toBeGreaterThanOrEqual(600);
        expect(v.livenessProbe.initialDelaySeconds).toBeGreaterThan(v.readinessProbe.initialDelaySeconds);
        const endpoints = await valueOf(platform.endpoints);
        expect(endpoints.ollama).toBe("ollama-service.ai-services.svc.cluster.local:11434");
    });

    it("tolerates the GPU node's taints and runs Ollama without a GPU runtime when gpu is false", async () => {
        const nodes = [node({ name: "tower", host: "10.0.0.10", role: "server", arch: "amd64", gpu: true, taints: ["gpu=true:NoSchedule"] })];
        const services = servicesSchema.parse({ ollama: { gpu: true, resources: { requests: { memory: "4Gi" } } }, postgres: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: false } });
        build({ nodes, services, apps: [] });
        const v = plainValues(release(await registeredResources(), "ollama"));
        expect(v.tolerations).toEqual([{ key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" }]);

        resetRegistry();
        build({ services: piServices({ ollama: { gpu: false, placement: { arch: "arm64" }, resources: { requests: { memory: "4Gi" } } } }) });
        const cpu = plainValues(release(await registeredResources(), "ollama"));
        expect(cpu.runtimeClassName).toBe("");
        expect(cpu.ollama.gpu.enabled).toBe(false);
        expect(cpu.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    });

    it("keeps every generated and configured secret out of plain inputs", async () => {
        const { platform } = build();
        const rs = await registeredResources();
        const needles = ["mock-password", ...Object.values(SECRET_CONFIG)];
        for (const needle of needles) {
            const leaks = rs.flatMap((r) => plainOccurrences(r.inputs, needle).map((p) => `${r.type} ${r.name}: ${p}`));
            expect(leaks, needle).toEqual([]);
        }
        // …and they do reach the cluster, wrapped as secrets.
        const wrapped = (needle: string) => rs.filter((r) => JSON.stringify(unwrapSecrets(r.inputs)).includes(needle)).map((r) => r.name);
        expect(wrapped("mock-password-pf")).not.toEqual([]);
        expect(wrapped(SECRET_CONFIG.placemyparentsApiKey)).toEqual([expect.stringContaining("placemyparents-env")]);
        expect(await isSecret(platform.credentials)).toBe(true);
        const creds = await valueOf(platform.credentials);
        expect(Object.keys(creds).sort()).toEqual(
            ["grafana/admin", "jupyterhub/hub.config.DummyAuthenticator.password", "postgres/analytics", "postgres/placemyparents", "rabbitmq/rabbitmq-erlang-cookie", "rabbitmq/rabbitmq-password", "rocketchat/mongodb-root"].sort(),
        );
    });

    it("passes no password to Rocket.Chat, MongoDB or Grafana through Helm values, only Secret names", async () => {
        build();
        const rs = await registeredResources();
        const rc = plainValues(release(rs, "rocketchat"));
        expect(rc.existingMongodbSecret).toBe("rocketchat-mongo-uri");
        expect(rc.mongodb.enabled).toBe(false);
        expect(JSON.stringify(rc.mongodb)).not.toMatch(/auth|password/i);
        const mon = plainValues(release(rs, "monitoring"));
        expect(mon.grafana.admin.existingSecret).toBe("grafana-admin");
        const secrets = rs.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => (r.inputs.metadata as Values).name);
        expect(secrets).toEqual(expect.arrayContaining(["rocketchat-mongo-auth", "rocketchat-mongo-uri", "grafana-admin", "pg-role-placemyparents", "rabbitmq-auth"]));
    });

    it("gives every Kubernetes resource the cluster provider and a dependency on the cluster being ready", async () => {
        const { cluster, rec } = build();
        const rs = await registeredResources();
        const k8sResources = rs.filter((r) => r.type.startsWith("kubernetes:"));
        expect(k8sResources.length).toBeGreaterThan(20);
        for (const r of k8sResources) expect(r.provider, `${r.type} ${r.name}`).toContain(`pulumi:providers:kubernetes::${cluster.providerName}::`);
        const recorded = rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(recorded.length).toBe(k8sResources.length);
        for (const r of recorded) {
            expect(r.opts.provider, r.name).toBe(cluster.provider);
            expect(await dependencyNames(r.opts), r.name).toContain(cluster.readyName);
        }
        // Namespaced resources also wait for their namespace.
        const app = recorded.find((r) => r.type === "kubernetes:apps/v1:Deployment");
        expect(await dependencyNames(app!.opts)).toContain(`pf${n}-ns-placemyparents`);
    });

    it("labels namespaces with the strictest Pod Security level their workloads allow", async () => {
        build();
        const ns = (await registeredResources()).filter((r) => r.type === "kubernetes:core/v1:Namespace");
        const levels = Object.fromEntries(ns.map((r) => [(r.inputs.metadata as Values).name, (r.inputs.metadata as Values).labels["pod-security.kubernetes.io/enforce"]]));
        expect(levels).toEqual({
            "ai-services": "baseline",
            "cnpg-system": "restricted",
            postgres: "restricted",
            rocketchat: "baseline",
            monitoring: "privileged",
            jupyterhub: "baseline",
            rabbitmq: "restricted",
            headlamp: "baseline",
            placemyparents: "restricted",
            // Only because a node is gpu: true; exempted with its reason in policy/exemptions.ts.
            "nvidia-device-plugin": "privileged",
        });
        for (const r of ns) expect((r.inputs.metadata as Values).labels["app.kubernetes.io/managed-by"]).toBe("pulumi");
    });

    it("registers none of a disabled service's resources", async () => {
        build({ services: piServices({ ollama: { enabled: false }, rocketchat: { enabled: false } }) });
        const rs = await registeredResources();
        const names = releases(rs).map((r) => r.inputs.name);
        expect(names).not.toContain("ollama");
        expect(names).not.toContain("rocketchat");
        expect(rs.filter((r) => /ollama|rocketchat|ai-services/.test(r.name))).toEqual([]);
        expect(names).toContain("monitoring");
    });

    it("registers only what the dev subset enables", async () => {
        const services = servicesSchema.parse({
            ollama: { enabled: false },
            rocketchat: { enabled: false },
            monitoring: { enabled: false },
            postgres: { instances: 1 },
        });
        build({ services, apps: [], nodes: [node({ name: "dev", host: "10.0.0.5", role: "server", arch: "amd64" })] });
        const names = releases(await registeredResources()).map((r) => r.inputs.name).sort();
        expect(names).toEqual(["cnpg", "postgres"]);
    });

    it("disables the k3s-absent targets and their rules, caps retention and runs node-exporter on every node", async () => {
        build();
        const rs = await registeredResources();
        const v = plainValues(release(rs, "monitoring"));
        for (const k of ["kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"]) expect(v[k].enabled, k).toBe(false);
        expect(v.defaultRules.rules).toMatchObject({ etcd: false, kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, kubeProxy: false });
        expect(v.prometheus.prometheusSpec).toMatchObject({ retention: "5d", retentionSize: "8GB" });
        const ne = v["prometheus-node-exporter"];
        expect(ne.nodeSelector["kubernetes.io/arch"]).toBeUndefined();
        expect(ne.tolerations).toEqual([{ operator: "Exists" }]);
        const dash = rs.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs.metadata as Values).labels?.grafana_dashboard === "1");
        expect(dash).toBeDefined();
        const json = JSON.parse(Object.values(dash!.inputs.data as Record<string, string>)[0]);
        const exprs = json.panels.map((p: Values) => p.targets[0].expr).join("\n");
        for (const metric of ["node_thermal_zone_temp", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_filesystem_avail_bytes"]) expect(exprs).toContain(metric);
    });

    it("creates the apps' databases with generated role passwords and hands the app its credentials", async () => {
        build();
        const rs = await registeredResources();
        const v = plainValues(release(rs, "postgres"));
        expect(v.databases).toEqual([
            { name: "analytics", owner: "analytics", ensure: "present" },
            { name: "placemyparents", owner: "placemyparents", ensure: "present" },
        ]);
        expect(v.cluster.roles.map((r: Values) => r.passwordSecret.name)).toEqual(["pg-role-analytics", "pg-role-placemyparents"]);
        expect(v.cluster.enableSuperuserAccess).toBe(false);
        const appSecret = rs.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as Values).name === "placemyparents-postgres");
        const data = unwrapSecrets(appSecret!.inputs.stringData) as Values;
        expect(data.PGHOST).toBe("postgres-rw.postgres.svc.cluster.local");
        expect(data.DATABASE_URL).toMatch(/^postgresql:\/\/placemyparents:mock-password-.*@postgres-rw/);
    });

    it("runs apps with hardened defaults, arm64 placement and 3 spread replicas", async () => {
        build();
        const rs = await registeredResources();
        const d = rs.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        const spec = (d.inputs.spec as Values).template.spec;
        const c = spec.containers[0];
        expect((d.inputs.spec as Values).replicas).toBe(3);
        expect(spec.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
        expect(spec.automountServiceAccountToken).toBe(false);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits).toBeDefined();
        expect(c.readinessProbe).not.toEqual(c.livenessProbe);
        expect(c.image).toBe("ghcr.io/example/placemyparents-mcp:1.4.2");
        expect(spec.topologySpreadConstraints[0].topologyKey).toBe("kubernetes.io/hostname");
        const types = rs.filter((r) => (r.inputs.metadata as Values | undefined)?.namespace === "placemyparents").map((r) => r.type);
        expect(types).toEqual(expect.arrayContaining(["kubernetes:core/v1:Service", "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:networking.k8s.io/v1:NetworkPolicy"]));
        const deny = rs.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && (r.inputs.metadata as Values).name === "default-deny");
        expect((deny!.inputs.metadata as Values).namespace).toBe("placemyparents");
    });

    it("hands catalog secretValues to the release only as secrets", async () => {
        const services = piServices({
            catalog: [{ name: "rabbitmq", preset: "rabbitmq", arch: "arm64", secretValues: { "auth.managementPassword": "rabbitmqAdmin" } }],
        });
        build({ services });
        const r = release(await registeredResources(), "rabbitmq");
        expect(plainOccurrences(r.inputs, SECRET_CONFIG.rabbitmqAdmin)).toEqual([]);
        const v = plainValues(r);
        expect(v.auth.managementPassword).toBe(SECRET_CONFIG.rabbitmqAdmin);
        // The official image through CloudPirates' chart: nothing from the frozen bitnamilegacy.
        expect(v.auth).toMatchObject({ existingSecret: "rabbitmq-auth", existingPasswordKey: "rabbitmq-password", existingErlangCookieKey: "rabbitmq-erlang-cookie" });
        expect(JSON.stringify(v)).not.toContain("bitnami");
        expect(v.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    });

    it("names the key path when a secret config key is missing", () => {
        const services = piServices({ catalog: [{ name: "custom", chart: "thing", repo: "https://charts.example.com", version: "1.0.0", secretValues: { "auth.token": "noSuchKey" } }] });
        expect(() => build({ services })).toThrow(ConfigError);
        expect(() => build({ services })).toThrow(/picluster:services\.catalog\[0\]\.secretValues\.auth\.token = "noSuchKey": picluster:noSuchKey is missing/);
    });

    it("refuses gpu: true when no node is marked as the GPU node", () => {
        const nodes = piNodes().map((x) => ({ ...x, gpu: false }));
        expect(() => build({ nodes })).toThrow(/picluster:services\.ollama\.gpu = true: no node in cluster\.nodes has gpu: true/);
    });

    it("stops before registering anything when the enabled services do not fit", async () => {
        const nodes = [node({ name: "tower", host: "10.0.0.10", role: "server", arch: "amd64", gpu: true, capacity: { cpu: 2, memory: "4Gi" } })];
        expect(() => build({ nodes })).toThrow(CapacityError);
        const rs = await registeredResources();
        expect(rs.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release").filter((r) => r.name.startsWith(`pf${n}`))).toEqual([]);
    });

    it("skips readiness waits when services.skipAwait is set", async () => {
        build({ services: piServices({ skipAwait: true }) });
        const rs = await registeredResources();
        for (const r of releases(rs)) expect(r.inputs).toMatchObject({ skipAwait: true, atomic: false });
        expect(rs.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:ReleaseReadiness")).toEqual([]);
        const d = rs.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        expect((d.inputs.metadata as Values).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    it("exposes in-cluster endpoints for every enabled service", async () => {
        const { platform } = build();
        expect(await valueOf(platform.endpoints)).toEqual({
            ollama: "ollama-service.ai-services.svc.cluster.local:11434",
            postgres: "postgres-rw.postgres.svc.cluster.local:5432",
            rocketchat: "rocketchat-rocketchat.rocketchat.svc.cluster.local:80",
            prometheus: "monitoring-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090",
            grafana: "monitoring-grafana.monitoring.svc.cluster.local:80",
            jupyterhub: "proxy-public.jupyterhub.svc.cluster.local:80",
            rabbitmq: "rabbitmq.rabbitmq.svc.cluster.local:5672",
            headlamp: "headlamp.headlamp.svc.cluster.local:80",
            placemyparents: "placemyparents.placemyparents.svc.cluster.local:80",
        });
    });
});

import { beforeEach, describe, expect, it } from "vitest";
import { Platform } from "../../../components/platform/platform";
import { MONGODB_AUTH_KEYS, MONGODB_AUTH_SECRET, memberHost, mongoScripts, wiredTigerCacheGB } from "../../../components/platform/services/rocketchatMongo";
import { dependencyNames, plainOccurrences, recorder, registeredResources, resetRegistry, unwrapSecrets, type RegisteredResource } from "../../helpers/mocks";
import { piApps, piNodes, piServices, platformPlan, testCluster } from "./fixtures";

type Values = Record<string, any>;

const named = (rs: RegisteredResource[], type: string, name: string) => rs.find((r) => r.type === type && (r.inputs.metadata as Values | undefined)?.name === name);
const statefulSet = (rs: RegisteredResource[]) => named(rs, "kubernetes:apps/v1:StatefulSet", "rocketchat-mongo")?.inputs as Values;
const rocketchatValues = (rs: RegisteredResource[]) => unwrapSecrets(rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "rocketchat")?.inputs.values) as Values;
const container = (pod: Values, name: string) => (pod.containers as Values[]).find((c) => c.name === name) as Values;

let n = 0;
function build(services = piServices()) {
    const nodes = piNodes();
    const rec = recorder();
    new Platform(`rcm${++n}`, { cluster: testCluster(nodes), plan: platformPlan(services, piApps(), nodes) }, { transformations: [rec.transform] });
    return rec;
}

describe("Rocket.Chat's MongoDB (RocketChatMongo)", () => {
    beforeEach(() => resetRegistry());

    it("runs the official mongo 8.0 image as a one-member replica set, pinned to amd64, with the chart's Bitnami MongoDB off", async () => {
        build();
        const rs = await registeredResources();
        const sts = statefulSet(rs);
        const pod = sts.spec.template.spec;
        const mongod = container(pod, "mongod");
        expect(mongod.image).toBe("mongo:8.0.26-noble");
        expect(pod.initContainers[0].image).toBe("mongo:8.0.26-noble");
        expect(sts.spec.replicas).toBe(1);
        const env = Object.fromEntries((mongod.env as Values[]).map((e) => [e.name, e.value ?? e.valueFrom]));
        expect(env.REPLICA_SET).toBe("rs0");
        expect(env.MEMBER_HOST).toBe("rocketchat-mongo-0.rocketchat-mongo.rocketchat.svc.cluster.local:27017");
        expect(pod.nodeSelector).toEqual({ "kubernetes.io/arch": "amd64" });
        expect(rocketchatValues(rs).mongodb.enabled).toBe(false);
        expect(rocketchatValues(rs).existingMongodbSecret).toBe("rocketchat-mongo-uri");
    });

    it("keeps its data on a volume of its own name, never the Bitnami datadir, sized and classed by services.rocketchat.storage", async () => {
        build(piServices({ rocketchat: { storage: { size: "20Gi", storageClass: "fast" } } }));
        const sts = statefulSet(await registeredResources());
        expect(sts.metadata.name).not.toBe("rocketchat-mongodb");
        const [claim] = sts.spec.volumeClaimTemplates;
        expect(claim.metadata.name).toBe("data");
        expect(claim.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "20Gi" } } });
    });

    it("is non-root with a read-only root, no escalation and no capabilities; the key reaches mongod as a private 0400 copy", async () => {
        build();
        const pod = statefulSet(await registeredResources()).spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
        for (const c of [...pod.initContainers, ...pod.containers]) {
            expect(c.securityContext, c.name).toMatchObject({ runAsNonRoot: true, runAsUser: 999, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
            expect(c.resources.limits.memory, c.name).toBeDefined();
        }
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.initContainers[0].command[2]).toBe("cp /keyfile-secret/keyfile /keyfile/keyfile && chmod 0400 /keyfile/keyfile");
        const keyVolume = (pod.volumes as Values[]).find((v) => v.name === "keyfile-secret");
        expect(keyVolume?.secret).toMatchObject({ secretName: MONGODB_AUTH_SECRET, items: [{ key: MONGODB_AUTH_KEYS.keyFile, path: "keyfile" }] });
        expect((pod.volumes as Values[]).find((v) => v.name === "keyfile")?.emptyDir).toEqual({ medium: "Memory", sizeLimit: "1Mi" });
    });

    it("sizes mongod from services.rocketchat.mongodbResources, its cache from the memory limit", async () => {
        build(piServices({ rocketchat: { mongodbResources: { requests: { memory: "1Gi" }, limits: { memory: "4Gi" } } } }));
        const mongod = container(statefulSet(await registeredResources()).spec.template.spec, "mongod");
        expect(mongod.resources).toEqual({ requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "4Gi" } });
        expect((mongod.env as Values[]).find((e) => e.name === "CACHE_GB")?.value).toBe("1.5");
        expect(wiredTigerCacheGB("1536Mi")).toBe(0.25);
        expect(wiredTigerCacheGB("8Gi")).toBe(3.5);
    });

    it("is ready only once the set and its users exist, and its liveness is a cheaper check than its readiness", async () => {
        build();
        const mongod = container(statefulSet(await registeredResources()).spec.template.spec, "mongod");
        expect(mongod.readinessProbe.exec.command[2]).toContain("test -f /tmp/mongo-initialized && mongosh");
        expect(mongod.livenessProbe).toMatchObject({ tcpSocket: { port: 27017 } });
        expect(mongod.startupProbe.failureThreshold * mongod.startupProbe.periodSeconds).toBeGreaterThanOrEqual(300);
    });

    it("takes every password from the Secret, never from plain inputs or argv", async () => {
        build();
        const rs = await registeredResources();
        const pod = statefulSet(rs).spec.template.spec;
        const fromSecret = [...pod.containers].flatMap((c: Values) => (c.env as Values[]).filter((e) => e.valueFrom).map((e) => [c.name, e.name, e.valueFrom.secretKeyRef.key]));
        expect(fromSecret).toEqual([
            ["mongod", "ROOT_PASSWORD", MONGODB_AUTH_KEYS.root],
            ["mongod", "APP_PASSWORD", MONGODB_AUTH_KEYS.app],
            ["mongod", "METRICS_PASSWORD", MONGODB_AUTH_KEYS.metrics],
            ["exporter", "MONGODB_PASSWORD", MONGODB_AUTH_KEYS.metrics],
        ]);
        const secret = named(rs, "kubernetes:core/v1:Secret", MONGODB_AUTH_SECRET);
        expect(Object.keys(unwrapSecrets(secret?.inputs.stringData) as Values).sort()).toEqual(Object.values(MONGODB_AUTH_KEYS).sort());
        for (const r of rs) expect(plainOccurrences(r.inputs, "mock-password"), `${r.type} ${r.name}`).toEqual([]);
        expect(JSON.stringify(container(pod, "exporter").args)).not.toMatch(/@/);
    });

    it("hands Rocket.Chat and the dump the new member's URI, in the existing rocketchat-mongo-uri Secret", async () => {
        build();
        const uri = named(await registeredResources(), "kubernetes:core/v1:Secret", "rocketchat-mongo-uri");
        const value = (unwrapSecrets(uri?.inputs.stringData) as Values)["mongo-uri"] as string;
        expect(value).toMatch(new RegExp(`^mongodb://rocketchat:[^@]+@${memberHost("rocketchat").replace(/\./g, "\\.")}/rocketchat\\?replicaSet=rs0$`));
    });

    it("starts Rocket.Chat only after its MongoDB", async () => {
        const rec = build();
        await registeredResources();
        const helm = rec.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.endsWith("-rocketchat"));
        expect(helm).toBeDefined();
        expect(await dependencyNames(helm!.opts)).toEqual(expect.arrayContaining([expect.stringMatching(/-rocketchat-mongo$/)]));
    });

    it("runs the maintained exporter sidecar only with monitoring, scraped once through the chart's ServiceMonitor", async () => {
        build();
        const rs = await registeredResources();
        const pod = statefulSet(rs).spec.template.spec;
        expect(container(pod, "exporter").image).toMatch(/^percona\/mongodb_exporter:0\.49\.0@sha256:[0-9a-f]{64}$/);
        const v = rocketchatValues(rs);
        expect(v.mongodb.serviceMonitor).toEqual({ enabled: true, selector: { "app.kubernetes.io/name": "mongodb", "app.kubernetes.io/instance": "rocketchat-mongo" }, port: "http-metrics" });
        expect(v.mongodb.metrics.serviceMonitor.enabled).toBe(false);
        // The chart's PodMonitor selects app.kubernetes.io/instance=rocketchat: not this pod.
        expect(statefulSet(rs).spec.template.metadata.labels["app.kubernetes.io/instance"]).toBe("rocketchat-mongo");
        const svc = named(rs, "kubernetes:core/v1:Service", "rocketchat-mongo")?.inputs as Values;
        expect(svc.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect((svc.spec.ports as Values[]).map((p) => p.name)).toEqual(["mongodb", "http-metrics"]);

        resetRegistry();
        build(piServices({ monitoring: { enabled: false } }));
        const off = await registeredResources();
        expect((statefulSet(off).spec.template.spec.containers as Values[]).map((c) => c.name)).toEqual(["mongod"]);
        expect(rocketchatValues(off).mongodb.serviceMonitor.enabled).toBe(false);
    });

    it("lets only its namespace reach MongoDB and only monitoring reach the exporter", async () => {
        build();
        const policy = named(await registeredResources(), "kubernetes:networking.k8s.io/v1:NetworkPolicy", "rocketchat-mongo-ingress")?.inputs as Values;
        expect(policy.spec.policyTypes).toEqual(["Ingress"]);
        expect(policy.spec.ingress).toEqual([
            { from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: 27017 }] },
            { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ protocol: "TCP", port: 9216 }] },
        ]);
    });

    it("ships its scripts in a ConfigMap and rolls the pod when they change", async () => {
        build();
        const rs = await registeredResources();
        const cm = named(rs, "kubernetes:core/v1:ConfigMap", "rocketchat-mongo-scripts")?.inputs as Values;
        expect(Object.keys(cm.data).sort()).toEqual(["init.js", "mongod.sh"]);
        expect(cm.data["mongod.sh"]).toBe(mongoScripts()["mongod.sh"]);
        expect(statefulSet(rs).spec.template.metadata.annotations["picluster.io/scripts-sha256"]).toMatch(/^[0-9a-f]{16}$/);
    });
});

import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { LONGHORN_BACKUP_JOB, LONGHORN_BACKUP_SECRET } from "../../../components/platform/backups/longhorn";
import { DiskCapacityError } from "../../../plan/diskCapacity";
import { loadConfig, secretsOf } from "../../../config/load";
import { objectSource, type ConfigSource } from "../../../config/source";
import { deployTargets } from "../../../scripts/lib/deploy";
import { buildPlan, planStack } from "../../../plan/plan";
import { backupOverrides, S3_ACCESS_KEY, S3_SECRET_KEY } from "../../helpers/backups";
import { dependencyNames, plainOccurrences, recorder, registeredResources, resetRegistry, unwrapSecrets, type RegisteredResource } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;

const RELEASE = "kubernetes:helm.sh/v3:Release";
const RECURRING_JOB = "kubernetes:longhorn.io/v1beta2:RecurringJob";

/**
 * The pi stack (one amd64 box, four Pis) with `services.storage` set and
 * Ollama's re-downloadable models kept on local-path; `cluster` and other
 * keys may be replaced.
 */
function piSource(storage: Values | undefined, opts: { backups?: boolean; services?: Values; cluster?: Values } = {}): ConfigSource {
    const { values } = stackValues("pi");
    const services = { ...(values.services as Values), ollama: { models: ["llama3:8b"], storage: { storageClass: "local-path" } }, ...(storage ? { storage } : {}), ...opts.services };
    const b = opts.backups ? backupOverrides() : { overrides: {}, secretKeys: [] };
    // On other nodes than the pi stack's: only PostgreSQL, so the node counts alone decide.
    const small = opts.cluster ? { cluster: opts.cluster, agentHost: { enabled: false }, apps: [] } : {};
    return stackSource("pi", { services, ...small, ...b.overrides }, { secretKeys: b.secretKeys });
}

/** Only PostgreSQL (10Gi), for the node-count tests. */
// The pi stack's agent host and worker template use Ollama: an external one stands in.
const LIGHT = { ollama: { enabled: false, external: { url: "http://192.168.1.50:11434" } }, rocketchat: { enabled: false }, monitoring: { enabled: false }, catalog: [] };

async function build(source: ConfigSource): Promise<{ rs: RegisteredResource[]; rec: ReturnType<typeof recorder> }> {
    resetRegistry();
    const rec = recorder();
    new Picluster("picluster", planStack(source), { transformations: [rec.transform] });
    return { rs: await registeredResources(), rec };
}

const release = (rs: RegisteredResource[], name: string) => rs.find((r) => r.type === RELEASE && r.inputs.name === name);
const valuesOf = (rs: RegisteredResource[], name: string) => unwrapSecrets(release(rs, name)?.inputs.values) as Values;
const named = (rs: RegisteredResource[], type: string, name: string) => rs.find((r) => r.type === type && (r.inputs.metadata as Values | undefined)?.name === name);
const preflightEnvs = (rs: RegisteredResource[]) =>
    rs.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-preflight")).map((r) => ({ name: r.name, create: String(unwrapSecrets(r.inputs.create)) }));

/** The plan's error for a source, or a failure when the plan holds. */
function planError(source: ConfigSource): Error {
    resetRegistry();
    try {
        buildPlan(loadConfig(source), secretsOf(source));
    } catch (e) {
        return e as Error;
    }
    throw new Error("the plan held");
}

function nodes(spec: { name: string; arch: "amd64" | "arm64"; role?: string; disk?: string; taints?: string[] }[]): Values {
    const { values } = stackValues("pi");
    return {
        ...(values.cluster as Values),
        nodes: spec.map((n, i) => ({
            name: n.name,
            // The first node keeps the pi stack's apiEndpoint address.
            host: i === 0 ? "192.168.1.10" : `192.168.1.${30 + i}`,
            user: "pi",
            role: n.role ?? (i === 0 ? "server" : "agent"),
            arch: n.arch,
            capacity: { cpu: n.arch === "amd64" ? 8 : 4, memory: n.arch === "amd64" ? "32Gi" : "8Gi", ...(n.disk ? { disk: n.disk } : {}) },
            ...(n.taints ? { taints: n.taints } : {}),
        })),
    };
}

describe("services.storage: longhorn under mocks", async () => {
    const { rs, rec } = await build(piSource({ kind: "longhorn" }));

    it("installs the pinned upstream Longhorn chart in longhorn-system, a privileged namespace", () => {
        const r = release(rs, "longhorn");
        expect(r?.inputs).toMatchObject({ chart: "longhorn", version: "1.12.1", namespace: "longhorn-system", repositoryOpts: { repo: "https://charts.longhorn.io" } });
        const ns = named(rs, "kubernetes:core/v1:Namespace", "longhorn-system");
        expect((ns?.inputs.metadata as Values).labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    });

    it("gives its StorageClass min(3, nodes that can hold a copy) replicas: 3 of the pi stack's 5 nodes, of both arches", () => {
        const v = valuesOf(rs, "longhorn");
        expect(v.persistence).toMatchObject({ defaultClassReplicaCount: 3, defaultClass: false });
        expect(v.defaultSettings.replicaSoftAntiAffinity).toBe(false);
        expect(planStack(piSource({ kind: "longhorn" })).storage.longhorn?.replicaNodes).toEqual(["cp-1", "pi-1", "pi-2", "pi-3", "pi-4"]);
    });

    it("confirms the uninstall up front, so the chart's pre-delete hook lets destroy remove Longhorn", () => {
        expect(valuesOf(rs, "longhorn").defaultSettings.deletingConfirmationFlag).toBe(true);
    });

    it("puts the platform's volumes on the longhorn class, except those that name their own", () => {
        expect(valuesOf(rs, "postgres").cluster.storage.storageClass).toBe("longhorn");
        expect((named(rs, "kubernetes:apps/v1:StatefulSet", "rocketchat-mongo")?.inputs as Values).spec.volumeClaimTemplates[0].spec.storageClassName).toBe("longhorn");
        expect(valuesOf(rs, "monitoring").prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe("longhorn");
        expect(valuesOf(rs, "jupyterhub").singleuser.storage.dynamic.storageClass).toBe("longhorn");
        expect(valuesOf(rs, "ollama").persistentVolume.storageClass).toBe("local-path");
    });

    it("makes every later release wait for Longhorn's: no volume waits on a class that does not exist yet", async () => {
        // MetalLB and LAN DNS come first and hold no volume: every LoadBalancer Service, Longhorn's UI included, takes its address from them.
        const releases = rec.resources.filter((r) => r.type === RELEASE && !r.name.endsWith("-storage") && !/-lan(-dns)?(-|$)/.test(r.name));
        expect(releases.length).toBeGreaterThan(5);
        // Longhorn's readiness: its class exists with the release, its volumes attach once its pods run.
        for (const r of releases) expect(await dependencyNames(r.opts), r.name).toContain("platform-storage-ready");
    });

    it("has no backup target, credentials Secret or RecurringJob without backups", () => {
        expect(valuesOf(rs, "longhorn").defaultBackupStore).toBeUndefined();
        expect(rs.filter((r) => r.type === RECURRING_JOB)).toEqual([]);
        expect(named(rs, "kubernetes:core/v1:Secret", LONGHORN_BACKUP_SECRET)).toBeUndefined();
    });

    it("pre-flights Longhorn's prerequisites on every node", () => {
        const envs = preflightEnvs(rs);
        expect(envs.map((e) => e.name).sort()).toEqual(["cp-1-preflight", "pi-1-preflight", "pi-2-preflight", "pi-3-preflight", "pi-4-preflight"]);
        for (const e of envs) expect(e.create, e.name).toMatch(/LONGHORN='?1'?/);
    });
});

describe("services.storage: longhorn with backups.s3", async () => {
    const { rs } = await build(piSource({ kind: "longhorn" }, { backups: true }));

    it("points Longhorn's backup target at the same bucket, naming only the credentials Secret", () => {
        expect(valuesOf(rs, "longhorn").defaultBackupStore).toEqual({ backupTarget: "s3://picluster-backups@eu-west-1/picluster/pi/longhorn/", backupTargetCredentialSecret: LONGHORN_BACKUP_SECRET });
    });

    it("backs up every volume with a RecurringJob on the schedule, keeping `retain` backups", () => {
        const job = named(rs, RECURRING_JOB, LONGHORN_BACKUP_JOB);
        expect(job?.inputs.metadata).toMatchObject({ namespace: "longhorn-system" });
        expect(job?.inputs.spec).toEqual({ name: LONGHORN_BACKUP_JOB, task: "backup", cron: "0 2 * * *", retain: 14, concurrency: 1, groups: ["default"], labels: {} });
    });

    it("keeps the credentials only in a Secret in longhorn-system", () => {
        const secret = named(rs, "kubernetes:core/v1:Secret", LONGHORN_BACKUP_SECRET);
        expect(secret?.inputs.metadata).toMatchObject({ namespace: "longhorn-system" });
        expect(unwrapSecrets(secret?.inputs.stringData)).toEqual({ AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY, AWS_ENDPOINTS: "https://nas.example.org:9000" });
        const leaks = [S3_ACCESS_KEY, S3_SECRET_KEY].flatMap((n) => rs.flatMap((r) => plainOccurrences(r.inputs, n).map((p) => `${r.type} ${r.name}.${p}`)));
        expect(leaks).toEqual([]);
    });
});

describe("services.storage: local-path (the default) under mocks", async () => {
    const { rs } = await build(piSource(undefined, { backups: true }));

    it("installs no Longhorn, no RecurringJob and no Longhorn backup settings, even with backups", () => {
        expect(release(rs, "longhorn")).toBeUndefined();
        expect(named(rs, "kubernetes:core/v1:Namespace", "longhorn-system")).toBeUndefined();
        expect(rs.filter((r) => r.type === RECURRING_JOB)).toEqual([]);
        expect(named(rs, "kubernetes:core/v1:Secret", LONGHORN_BACKUP_SECRET)).toBeUndefined();
    });

    it("keeps the volumes on local-path and pre-flights no Longhorn prerequisites", () => {
        expect(valuesOf(rs, "postgres").cluster.storage.storageClass).toBe("local-path");
        for (const e of preflightEnvs(rs)) expect(e.create, e.name).toMatch(/LONGHORN='?0'?/);
    });
});

describe("the replica count", () => {
    const replicasOf = (cluster: Values, storage: Values = { kind: "longhorn" }) => planStack(piSource(storage, { cluster, services: LIGHT })).storage.longhorn?.replicas;

    it("is min(3, nodes that can hold a copy), counting both architectures", () => {
        expect(replicasOf(nodes([{ name: "a", arch: "amd64" }]))).toBe(1);
        expect(replicasOf(nodes([{ name: "a", arch: "amd64" }, { name: "b", arch: "arm64" }]))).toBe(2);
        expect(replicasOf(nodes([{ name: "a", arch: "amd64", disk: "500Gi" }, { name: "b", arch: "arm64" }, { name: "c", arch: "arm64" }, { name: "d", arch: "arm64" }]))).toBe(3);
    });

    it("leaves out nodes whose taints keep Longhorn's manager off", () => {
        const cluster = nodes([{ name: "a", arch: "amd64", taints: ["gpu=true:NoSchedule"] }, { name: "b", arch: "arm64" }, { name: "c", arch: "arm64" }]);
        expect(replicasOf(cluster)).toBe(2);
        expect(planStack(piSource({ kind: "longhorn" }, { cluster, services: LIGHT })).storage.longhorn?.replicaNodes).toEqual(["b", "c"]);
    });

    it("takes an explicit count the nodes can hold", () => {
        expect(replicasOf(nodes([{ name: "a", arch: "amd64", disk: "500Gi" }, { name: "b", arch: "arm64" }, { name: "c", arch: "arm64" }]), { kind: "longhorn", longhorn: { replicas: 2 } })).toBe(2);
    });

    it("warns that one copy is no better than local-path", () => {
        expect(planStack(piSource({ kind: "longhorn" }, { cluster: nodes([{ name: "a", arch: "amd64" }]), services: LIGHT })).warnings.join("\n")).toMatch(/services\.storage\.longhorn\.replicas = 1: each volume has one copy/);
    });
});

describe("bad storage input is refused before any resource", () => {
    it("an unknown kind, naming the key, the value and the kinds", async () => {
        const e = planError(piSource({ kind: "ceph" }));
        expect(e.message).toMatch(/picluster:services\.storage\.kind = "ceph": must be one of local-path, longhorn/);
        expect(await registeredResources()).toEqual([]);
    });

    it("more replicas than nodes that can hold one, naming the nodes and the fix", async () => {
        const cluster = nodes([{ name: "a", arch: "amd64", taints: ["gpu=true:NoSchedule"] }, { name: "b", arch: "arm64" }, { name: "c", arch: "arm64" }]);
        const e = planError(piSource({ kind: "longhorn", longhorn: { replicas: 3 } }, { cluster, services: LIGHT }));
        expect(e.message).toContain('picluster:services.storage.longhorn.replicas = 3: only 2 node(s) can hold a Longhorn replica (b, c; tainted, no Longhorn manager: a)');
        expect(e.message).toContain("set replicas to 2 or less, or add a node");
        expect(await registeredResources()).toEqual([]);
    });

    it("a replica count outside 1-5", () => {
        expect(planError(piSource({ kind: "longhorn", longhorn: { replicas: 0 } })).message).toMatch(/picluster:services\.storage\.longhorn\.replicas = 0:/);
    });

    it("Longhorn when every node is tainted away from it", () => {
        const cluster = nodes([{ name: "a", arch: "amd64", taints: ["dedicated=db:NoExecute"] }]);
        expect(planError(piSource({ kind: "longhorn" }, { cluster, services: LIGHT })).message).toMatch(/every declared node has a NoSchedule\/NoExecute taint \(a\), so Longhorn's manager runs nowhere/);
    });

    it("warns (not refuses) about nodes without a capacity.disk, whose default the disk check assumes", () => {
        const plan = planStack(piSource({ kind: "longhorn" }, { cluster: nodes([{ name: "a", arch: "amd64", disk: "500Gi" }, { name: "b", arch: "arm64" }]), services: LIGHT }));
        expect(plan.warnings.join("\n")).toMatch(/cluster\.nodes: b declare no capacity\.disk/);
    });
});

describe("the disk check with Longhorn", () => {
    /** One amd64 box and three Pis with small cards: every volume has 3 copies on 3 of the 4 nodes. */
    const small = () => nodes([{ name: "box", arch: "amd64", disk: "40Gi" }, { name: "pi-a", arch: "arm64", disk: "12Gi" }, { name: "pi-b", arch: "arm64", disk: "12Gi" }, { name: "pi-c", arch: "arm64", disk: "12Gi" }]);
    const services = { ...LIGHT, postgres: { databases: [{ name: "analytics" }], storage: { size: "10Gi" } }, monitoring: { storage: { size: "10Gi" } } };

    it("counts each volume once per replica, spread over the nodes as Longhorn would", () => {
        const plan = planStack(piSource({ kind: "longhorn", longhorn: { replicas: 2 } }, { cluster: small(), services }));
        expect(plan.storage.longhorn?.replicas).toBe(2);
    });

    it("fails a stack whose copies do not fit, naming the node, its volumes and the replica fix", () => {
        const e = planError(piSource({ kind: "longhorn" }, { cluster: small(), services }));
        expect(e).toBeInstanceOf(DiskCapacityError);
        const lines = (e as DiskCapacityError).problems;
        expect(lines.length).toBeGreaterThan(0);
        const pi = lines.find((l) => /^node pi-[abc] /.test(l));
        expect(pi).toMatch(/^node pi-[abc] must hold 20Gi of volumes but has 12Gi for them: /);
        expect(pi).toMatch(/(postgres\/instance|monitoring\/prometheus) \(longhorn copy \d\/3\) \(10Gi\)/);
        expect(pi).toContain("lower services.storage.longhorn.replicas (now 3)");
    });

    it("does not multiply a volume that names local-path", () => {
        const local = { ...services, postgres: { ...services.postgres, storage: { size: "10Gi", storageClass: "local-path" } }, monitoring: { storage: { size: "10Gi", storageClass: "local-path" } } };
        expect(() => planStack(piSource({ kind: "longhorn" }, { cluster: small(), services: local }))).not.toThrow();
    });
});

describe("Longhorn on an existing cluster (cluster.kubeconfig)", () => {
    const kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443'}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t}}]\n";
    const source = () => objectSource("ext", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig }, services: { storage: { kind: "longhorn" } } }, ["cluster"]);

    it("keeps Longhorn's own 3 replicas and warns that picluster cannot pre-flight those nodes", () => {
        const plan = planStack(source());
        expect(plan.storage.longhorn?.replicas).toBe(3);
        expect(plan.warnings.join("\n")).toMatch(/picluster cannot pre-flight its nodes; install open-iscsi/);
    });
});

describe("npm run deploy -- storage", () => {
    it("is a target only when Longhorn is the storage", () => {
        const on = deployTargets(planStack(piSource({ kind: "longhorn" }))).find((t) => t.name === "storage");
        expect(on).toMatchObject({ enabled: true, type: "picluster:platform:Longhorn", configKey: "services.storage" });
        expect(deployTargets(planStack(piSource({ kind: "local-path" }))).find((t) => t.name === "storage")?.enabled).toBe(false);
    });
});

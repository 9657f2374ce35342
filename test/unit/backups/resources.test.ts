import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { MONGODB_BACKUP_SECRET, MONGODB_DUMP } from "../../../components/platform/backups/mongodbDump";
import { POSTGRES_BACKUP_SECRET } from "../../../components/platform/backups/postgres";
import { planStack } from "../../../plan/plan";
import { backupOverrides, S3_ACCESS_KEY, S3_SECRET_KEY } from "../../helpers/backups";
import { isSecretEnvelope, plainOccurrences, registeredResources, resetRegistry, unwrapSecrets, type RegisteredResource } from "../../helpers/mocks";
import { stackSource } from "../../helpers/stacks";

type Values = Record<string, any>;

async function build(withBackups: boolean): Promise<RegisteredResource[]> {
    resetRegistry();
    const { overrides, secretKeys } = backupOverrides();
    const source = withBackups ? stackSource("pi", overrides, { secretKeys }) : stackSource("pi");
    new Picluster("picluster", planStack(source));
    return registeredResources();
}

const k3sConfigs = (rs: RegisteredResource[]) =>
    rs
        .filter((r) => r.type === "command:remote:Command" && typeof unwrapSecrets(r.inputs.stdin) === "string" && String(unwrapSecrets(r.inputs.stdin)).includes("node-name:"))
        .map((r) => ({ name: r.name, stdin: r.inputs.stdin, config: yaml.load(String(unwrapSecrets(r.inputs.stdin))) as Values }));
const postgresValues = (rs: RegisteredResource[]) => unwrapSecrets(rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "postgres")?.inputs.values) as Values;
const named = (rs: RegisteredResource[], type: string, name: string) => rs.find((r) => r.type === type && (r.inputs.metadata as Values | undefined)?.name === name);

describe("backups under mocks", () => {
    describe("with backups.s3 configured", async () => {
        const rs = await build(true);

        it("sends every server the etcd-s3 settings, inside the secret config on stdin", () => {
            const servers = k3sConfigs(rs).filter((c) => c.config["etcd-s3"] === true);
            expect(servers.map((c) => c.config["node-name"])).toContain("cp-1");
            for (const c of servers) {
                expect(isSecretEnvelope(c.stdin)).toBe(true);
                expect(c.config).toMatchObject({ "etcd-s3-bucket": "picluster-backups", "etcd-s3-folder": "picluster/pi/etcd", "etcd-s3-access-key": S3_ACCESS_KEY, "etcd-s3-secret-key": S3_SECRET_KEY });
            }
            // The single server of the pi stack runs embedded etcd so there are snapshots.
            expect(servers.find((c) => c.config["node-name"] === "cp-1")?.config["cluster-init"]).toBe(true);
            // Agents never get the target's credentials.
            expect(k3sConfigs(rs).filter((c) => c.config.server !== undefined && c.config["etcd-s3-secret-key"] !== undefined)).toEqual([]);
        });

        it("gives the Postgres cluster base backups, WAL archiving, a ScheduledBackup and a retention policy, naming only the Secret", () => {
            const backups = postgresValues(rs).backups;
            expect(backups).toMatchObject({
                enabled: true,
                method: "barmanObjectStore",
                endpointURL: "https://nas.example.org:9000",
                destinationPath: "s3://picluster-backups/picluster/pi/postgres",
                secret: { create: false, name: POSTGRES_BACKUP_SECRET },
                retentionPolicy: "30d",
                scheduledBackups: [{ name: "scheduled", schedule: "0 0 3 * * *", method: "barmanObjectStore" }],
            });
            expect(backups.s3.accessKey).toBe("");
            expect(backups.s3.secretKey).toBe("");
            const secret = named(rs, "kubernetes:core/v1:Secret", POSTGRES_BACKUP_SECRET);
            expect(secret?.inputs.metadata).toMatchObject({ namespace: "postgres" });
            expect((unwrapSecrets(secret?.inputs.stringData) as Values).ACCESS_SECRET_KEY).toBe(S3_SECRET_KEY);
            expect(plainOccurrences(secret?.inputs, S3_SECRET_KEY)).toEqual([]);
        });

        it("dumps Rocket.Chat's MongoDB on a schedule with pinned images in a hardened pod", () => {
            const cron = named(rs, "kubernetes:batch/v1:CronJob", MONGODB_DUMP);
            expect(cron).toBeDefined();
            const spec = cron?.inputs.spec as Values;
            expect(spec.schedule).toBe("30 3 * * *");
            expect(spec.concurrencyPolicy).toBe("Forbid");
            const pod = spec.jobTemplate.spec.template.spec;
            const containers = [...pod.initContainers, ...pod.containers];
            expect(containers.map((c: Values) => c.image)).toEqual(["mongo:8.0.26-noble", "amazon/aws-cli:2.27.50"]);
            expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
            for (const c of containers) expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
            expect(pod.automountServiceAccountToken).toBe(false);
            const env = Object.fromEntries(pod.containers[0].env.map((e: Values) => [e.name, e]));
            expect(env.RETENTION_DAYS.value).toBe("14");
            expect(env.AWS_SECRET_ACCESS_KEY.valueFrom.secretKeyRef.name).toBe(MONGODB_BACKUP_SECRET);
            expect(pod.initContainers[0].env[0].valueFrom.secretKeyRef).toEqual({ name: "rocketchat-mongo-uri", key: "mongo-uri" });
            expect(named(rs, "kubernetes:core/v1:Secret", MONGODB_BACKUP_SECRET)).toBeDefined();
            // Its pods take no traffic and reach only DNS, MongoDB and the target's port.
            const policy = named(rs, "kubernetes:networking.k8s.io/v1:NetworkPolicy", `${MONGODB_DUMP}-egress`)?.inputs.spec as Values;
            expect(policy.podSelector.matchLabels).toEqual(spec.jobTemplate.spec.template.metadata.labels);
            expect(policy.ingress).toEqual([]);
            expect(policy.egress.map((e: Values) => e.ports.map((p: Values) => p.port).join(","))).toEqual(["53,53", "27017", "9000"]);
        });

        it("keeps the target's credentials only in secrets", () => {
            const leaks = [S3_ACCESS_KEY, S3_SECRET_KEY].flatMap((n) => rs.flatMap((r) => plainOccurrences(r.inputs, n).map((p) => `${r.type} ${r.name}.${p}`)));
            expect(leaks).toEqual([]);
            // …and they are there, as secrets: the check above is not vacuous.
            const holders = rs.filter((r) => JSON.stringify(unwrapSecrets(r.inputs)).includes(S3_SECRET_KEY));
            expect(holders.length).toBeGreaterThanOrEqual(3);
        });
    });

    describe("without backups.s3", async () => {
        const rs = await build(false);

        it("creates no backup object and no backup setting", () => {
            expect(postgresValues(rs).backups).toBeUndefined();
            expect(rs.filter((r) => r.type === "kubernetes:batch/v1:CronJob")).toEqual([]);
            expect(named(rs, "kubernetes:core/v1:Secret", POSTGRES_BACKUP_SECRET)).toBeUndefined();
            expect(named(rs, "kubernetes:core/v1:Secret", MONGODB_BACKUP_SECRET)).toBeUndefined();
            const configs = k3sConfigs(rs);
            expect(configs.length).toBeGreaterThan(0);
            for (const c of configs) {
                expect(Object.keys(c.config).filter((k) => k.startsWith("etcd-s3"))).toEqual([]);
                expect(c.config["cluster-init"]).toBeUndefined();
            }
        });
    });
});

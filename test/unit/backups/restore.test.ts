import { describe, expect, it } from "vitest";
import { loadConfig, secretsOf } from "../../../config/load";
import { buildPlan } from "../../../plan/plan";
import { dumpStamp, formatRestorePlan, parseAt, pickSnapshot, restorePlan } from "../../../scripts/lib/restore";
import { backupOverrides, S3_ACCESS_KEY, S3_SECRET_KEY } from "../../helpers/backups";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;
const NOW = new Date("2026-11-29T16:20:00Z");

function stackPlan(extra: Record<string, unknown> = {}, withBackups = true) {
    const { overrides, secretKeys } = backupOverrides();
    const source = stackSource("pi", { ...(withBackups ? overrides : {}), ...extra }, { secretKeys: withBackups ? secretKeys : [] });
    return buildPlan(loadConfig(source), secretsOf(source));
}

/** The pi stack with two more servers (HA), for the etcd steps on the others. */
function haPlan() {
    const cluster = structuredClone(stackValues("pi").values.cluster) as Values;
    cluster.nodes[1].role = "server";
    cluster.nodes[2].role = "server";
    cluster.nodes[1].dataDir = "/mnt/ssd";
    return stackPlan({ cluster });
}

describe("npm run restore: the printed plans", () => {
    it("etcd: stops every server, resets the first from the S3 snapshot, then the others rejoin with their old member data removed", () => {
        const p = restorePlan("etcd", haPlan(), undefined, NOW);
        const ssh = p.steps.flatMap((s) => (s.kind === "ssh" ? [`${s.node}: ${s.command}`] : []));
        expect(ssh).toEqual([
            "cp-1: sudo systemctl stop k3s",
            "pi-1: sudo systemctl stop k3s",
            "pi-2: sudo systemctl stop k3s",
            expect.stringMatching(/^cp-1: sudo k3s server --cluster-reset --etcd-s3 --cluster-reset-restore-path=/),
            "cp-1: sudo systemctl start k3s",
            "pi-1: sudo rm -rf /mnt/ssd/k3s/server/db",
            "pi-1: sudo systemctl start k3s",
            "pi-2: sudo rm -rf /var/lib/rancher/k3s/server/db",
            "pi-2: sudo systemctl start k3s",
        ]);
        expect(p.summary).toContain("s3://picluster-backups/picluster/pi/etcd");
    });

    it("etcd: picks the newest S3 snapshot at or before --at from `k3s etcd-snapshot ls`", () => {
        const ls = [
            "Name                                Location                                            Size     Created",
            "etcd-snapshot-cp-1-1764381600      file:///var/lib/rancher/k3s/server/db/snapshots/x  1000     2026-11-29T02:00:00Z",
            "etcd-snapshot-cp-1-1764381600      s3://picluster-backups/picluster/pi/etcd/a          1000     2026-11-29T00:00:00Z",
            "etcd-snapshot-cp-1-1764403200      s3://picluster-backups/picluster/pi/etcd/b          1000     2026-11-29T06:00:00Z",
            "etcd-snapshot-cp-1-1764424800      s3://picluster-backups/picluster/pi/etcd/c          1000     2026-11-29T12:00:00Z",
        ].join("\n");
        expect(pickSnapshot(ls)).toBe("etcd-snapshot-cp-1-1764424800");
        expect(pickSnapshot(ls, parseAt("2026-11-29T07:00:00Z"))).toBe("etcd-snapshot-cp-1-1764403200");
        expect(pickSnapshot(ls, parseAt("2026-11-28T07:00:00Z"))).toBeUndefined();
    });

    it("postgres: a recovery cluster to the point in time, reading the credentials from the backup Secret, then the app's secret switched", () => {
        const p = restorePlan("postgres", stackPlan(), parseAt("2026-11-29T03:30:00Z"), NOW);
        const create = p.steps[0];
        expect(create.kind).toBe("kubectl");
        const cluster = (create as { manifest: Values }).manifest;
        expect(cluster.kind).toBe("Cluster");
        expect(cluster.metadata).toMatchObject({ name: "postgres-restore-20261129t1620", namespace: "postgres" });
        expect(cluster.spec.bootstrap.recovery).toEqual({ source: "origin", recoveryTarget: { targetTime: "2026-11-29T03:30:00.000Z" } });
        expect(cluster.spec.externalClusters[0].barmanObjectStore).toMatchObject({
            serverName: "postgres",
            destinationPath: "s3://picluster-backups/picluster/pi/postgres",
            s3Credentials: { secretAccessKey: { name: "pg-backup-s3", key: "ACCESS_SECRET_KEY" } },
        });
        const sw = p.steps.find((s) => s.kind === "switch-app-secret");
        expect(sw).toMatchObject({ namespace: "placemyparents", secret: "placemyparents-postgres", toHost: "postgres-restore-20261129t1620-rw.postgres.svc.cluster.local", deployment: "placemyparents" });
    });

    it("mongodb: stops Rocket.Chat, runs a hardened restore Job of the newest dump at or before --at, starts it again and waits for it", () => {
        const p = restorePlan("mongodb", stackPlan(), parseAt("2026-11-28T23:00:00Z"), NOW);
        expect(p.steps.map((s) => (s.kind === "kubectl" ? s.args.slice(0, 4).join(" ") : s.kind))).toEqual([
            "-n rocketchat scale deployment/rocketchat-rocketchat",
            "apply -f -",
            "-n rocketchat wait job/rocketchat-mongodb-restore-20261129t1620",
            "-n rocketchat scale deployment/rocketchat-rocketchat",
            "-n rocketchat rollout status",
            "manual",
        ]);
        // The migration's last step: the old Bitnami 6.0 volume goes only once the data is checked.
        expect(p.steps[5].what).toContain("kubectl -n rocketchat delete pvc datadir-rocketchat-mongodb-0");
        const job = (p.steps[1] as { manifest: Values }).manifest;
        const pod = job.spec.template.spec;
        expect(pod.initContainers[0].command[2]).toContain(`rocketchat-${dumpStamp(new Date("2026-11-28T23:00:00Z"))}.archive.gz`);
        expect(pod.containers[0].command[2]).toContain("mongorestore --config=/tmp/mongorestore.yaml");
        // The client matches the server: the official mongo 8.0 image (mongorestore ships in it).
        expect(pod.containers[0].image).toBe("mongo:8.0.26-noble");
        for (const c of [...pod.initContainers, ...pod.containers]) expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    });

    it("prints no credential", () => {
        for (const kind of ["etcd", "postgres", "mongodb"] as const) {
            const text = formatRestorePlan(restorePlan(kind, stackPlan(), undefined, NOW));
            expect(text).not.toContain(S3_SECRET_KEY);
            expect(text).not.toContain(S3_ACCESS_KEY);
            expect(text.split("\n")[0]).toMatch(new RegExp(`^restore ${kind}: `));
        }
    });

    it("refuses without a backup target, and a time without its zone", () => {
        expect(() => restorePlan("postgres", stackPlan({}, false), undefined, NOW)).toThrow(/picluster:backups\.s3 is not set in stack pi/);
        expect(() => parseAt("2026-11-29 03:00")).toThrow(/--at '2026-11-29 03:00': use an ISO 8601 time with its zone/);
    });
});

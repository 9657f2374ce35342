import { firstServer } from "../../plan/topology";
import { k3sDataDir } from "../../components/cluster/install/nodeArtifacts";
import { BACKUP_POD_LABELS, DUMP_PREFIX, hardenedPod, MONGODB_BACKUP_SECRET, targetEnv } from "../../components/platform/backups/mongodbDump";
import { s3Url, type BackupPlan } from "../../plan/backups";
import { BARMAN_KEYS, POSTGRES_BACKUP_SECRET } from "../../components/platform/backups/postgres";
import { POSTGRES_CLUSTER, POSTGRES_IMAGES, roleSecretName } from "../../components/platform/services/postgres";
import { POSTGRES_NAMESPACE } from "../../plan/services/postgres";
import { MONGO_URI_SECRET, ROCKETCHAT_RELEASE } from "../../components/platform/services/rocketchat";
import type { StackPlan } from "../../plan/plan";

/*
 * `npm run restore -- <etcd|postgres|mongodb> [--at <time>]`: the plan of a
 * restore, as steps a person can read before saying yes. Pure: the script
 * (scripts/restore.ts) prints the steps and runs them.
 */

export const RESTORE_KINDS = ["etcd", "postgres", "mongodb"] as const;
export type RestoreKind = (typeof RESTORE_KINDS)[number];

/** One step: a command on a node over SSH, a kubectl call (manifest on stdin), or something only a person can do. */
export type RestoreStep =
    | { what: string; kind: "ssh"; node: string; host: string; user: string; port: number; command: string }
    | { what: string; kind: "kubectl"; args: string[]; manifest?: Record<string, unknown> }
    | { what: string; kind: "switch-app-secret"; namespace: string; secret: string; fromHost: string; toHost: string; deployment: string }
    | { what: string; kind: "manual" };

export interface RestorePlan {
    kind: RestoreKind;
    /** What is restored from where, one line. */
    summary: string;
    steps: RestoreStep[];
}

/** `2026-11-29T03:00:00Z` → the same instant, checked; undefined means "the latest". */
export function parseAt(at: string | undefined): Date | undefined {
    if (at === undefined) return undefined;
    const d = new Date(at);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(at) || Number.isNaN(d.getTime())) {
        throw new Error(`--at '${at}': use an ISO 8601 time with its zone, e.g. 2026-11-29T03:00:00Z`);
    }
    return d;
}

/** The UTC stamp the dump CronJob names files with (`20261129T030000Z`). */
export function dumpStamp(d: Date): string {
    return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/**
 * The etcd snapshot to restore from `k3s etcd-snapshot ls` output (columns
 * Name, Location, Size, Created): the newest in S3 created at or before `at`.
 */
export function pickSnapshot(ls: string, at?: Date): string | undefined {
    const rows = ls
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols.length >= 4 && cols[1]?.startsWith("s3://"))
        .map((cols) => ({ name: cols[0], created: new Date(cols[cols.length - 1]) }))
        .filter((r) => !Number.isNaN(r.created.getTime()) && (at === undefined || r.created.getTime() <= at.getTime()));
    rows.sort((a, b) => b.created.getTime() - a.created.getTime());
    return rows[0]?.name;
}

function needBackups(plan: StackPlan, kind: RestoreKind): BackupPlan {
    if (!plan.backups) throw new Error(`no backup target: picluster:backups.s3 is not set in stack ${plan.config.stack}, so there is nothing to restore ${kind} from`);
    return plan.backups;
}

/** etcd: k3s's documented cluster reset from an S3 snapshot on the first server, then the other servers rejoin. */
export function etcdRestorePlan(plan: StackPlan, at?: Date, snapshot = "<newest S3 snapshot at or before the time, from `k3s etcd-snapshot ls` on the first server>"): RestorePlan {
    const backups = needBackups(plan, "etcd");
    const nodes = plan.config.cluster.nodes;
    const first = firstServer(nodes);
    if (!first) throw new Error("etcd restore needs bootstrapped servers (cluster.nodes); an existing cluster restores its datastore its own way");
    const others = nodes.filter((n) => n.role === "server" && n !== first);
    const ssh = (n: typeof first, what: string, command: string): RestoreStep => ({ what, kind: "ssh", node: n.name, host: n.host, user: n.user, port: n.sshPort, command });
    return {
        kind: "etcd",
        summary: `restore the cluster datastore from ${s3Url(backups, "etcd")} (${at ? `the newest snapshot at or before ${at.toISOString()}` : "the newest snapshot"}) onto ${first.name}`,
        steps: [
            ...[first, ...others].map((n) => ssh(n, `stop k3s on ${n.name}`, "sudo systemctl stop k3s")),
            // k3s reads the S3 target and its credentials from config.yaml: nothing secret on the command line.
            ssh(first, `reset etcd on ${first.name} to snapshot ${snapshot}`, `sudo k3s server --cluster-reset --etcd-s3 --cluster-reset-restore-path=${snapshot}`),
            ssh(first, `start k3s on ${first.name}`, "sudo systemctl start k3s"),
            ...others.flatMap((n) => [
                ssh(n, `remove ${n.name}'s old etcd member data so it rejoins the restored cluster`, `sudo rm -rf ${k3sDataDir(n)}/server/db`),
                ssh(n, `start k3s on ${n.name}`, "sudo systemctl start k3s"),
            ]),
            { what: "check every node is Ready (kubectl get nodes), then run `pulumi up` so the state matches the cluster again", kind: "manual" },
        ],
    };
}

/** The name of the recovery cluster for a restore started at `now`. */
export function recoveryClusterName(now: Date): string {
    return `${POSTGRES_CLUSTER}-restore-${dumpStamp(now).slice(0, 13).toLowerCase()}`;
}

/** postgres: a new CloudNativePG cluster recovered from the base backups and WAL (point in time), then each app's secret points at it. */
export function postgresRestorePlan(plan: StackPlan, at: Date | undefined, now: Date): RestorePlan {
    const backups = needBackups(plan, "postgres");
    const spec = plan.config.services.postgres;
    if (!spec.enabled) throw new Error("services.postgres is disabled in this stack; there is no database to restore");
    const name = recoveryClusterName(now);
    const roles = [...new Set(plan.platform.databases.map((d) => d.owner))];
    const cluster = {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { name, namespace: POSTGRES_NAMESPACE, labels: { "app.kubernetes.io/part-of": "picluster", "picluster.io/restored-from": POSTGRES_CLUSTER } },
        spec: {
            instances: spec.instances,
            imageName: POSTGRES_IMAGES[spec.postgresMajor],
            storage: { size: spec.storage.size, storageClass: spec.storage.storageClass ?? plan.platform.storageClass },
            enableSuperuserAccess: false,
            bootstrap: { recovery: { source: "origin", ...(at ? { recoveryTarget: { targetTime: at.toISOString() } } : {}) } },
            // The same role Secrets: the apps' passwords keep working.
            managed: { roles: roles.map((r) => ({ name: r, ensure: "present", login: true, passwordSecret: { name: roleSecretName(r) } })) },
            externalClusters: [
                {
                    name: "origin",
                    barmanObjectStore: {
                        serverName: POSTGRES_CLUSTER,
                        destinationPath: s3Url(backups, "postgres"),
                        endpointURL: backups.target.endpoint,
                        s3Credentials: {
                            accessKeyId: { name: POSTGRES_BACKUP_SECRET, key: BARMAN_KEYS.accessKeyId },
                            secretAccessKey: { name: POSTGRES_BACKUP_SECRET, key: BARMAN_KEYS.secretAccessKey },
                        },
                        wal: { maxParallel: 2 },
                    },
                },
            ],
        },
    };
    const fromHost = `${POSTGRES_CLUSTER}-rw.${POSTGRES_NAMESPACE}.svc.cluster.local`;
    const toHost = `${name}-rw.${POSTGRES_NAMESPACE}.svc.cluster.local`;
    const apps = plan.platform.apps.filter((a) => a.spec.postgres);
    return {
        kind: "postgres",
        summary: `recover a new cluster ${name} from ${s3Url(backups, "postgres")} (${at ? `point in time ${at.toISOString()}` : "the end of the archived WAL"}); the running cluster ${POSTGRES_CLUSTER} is left as it is`,
        steps: [
            { what: `create the recovery cluster ${name}`, kind: "kubectl", args: ["apply", "-f", "-"], manifest: cluster },
            { what: `wait until ${name} is ready (recovery replays the WAL; this can take long)`, kind: "kubectl", args: ["-n", POSTGRES_NAMESPACE, "wait", `cluster.postgresql.cnpg.io/${name}`, "--for=condition=Ready", "--timeout=3600s"] },
            ...apps.map(
                (a): RestoreStep => ({
                    what: `point app ${a.spec.name}'s database secret at ${name} and restart it`,
                    kind: "switch-app-secret",
                    namespace: a.namespace,
                    secret: `${a.spec.name}-postgres`,
                    fromHost,
                    toHost,
                    deployment: a.spec.name,
                }),
            ),
            {
                what: `check the data, then make it permanent: the next \`pulumi up\` points the apps back at ${POSTGRES_CLUSTER} (see docs/operations.md, restore a database)`,
                kind: "manual",
            },
        ],
    };
}

/** The volume the rocketchat chart's Bitnami MongoDB (6.0, before services.rocketchat.mongodb) kept; never opened by 8.0. */
export const BITNAMI_MONGODB_PVC = "datadir-rocketchat-mongodb-0";

/** mongodb: Rocket.Chat stopped, a Job restores the newest dump at or before the time, Rocket.Chat started again and checked. */
export function mongodbRestorePlan(plan: StackPlan, at: Date | undefined, now: Date): RestorePlan {
    const backups = needBackups(plan, "mongodb");
    if (!plan.config.services.rocketchat.enabled) throw new Error("services.rocketchat is disabled in this stack; there is no MongoDB to restore");
    const namespace = "rocketchat";
    const cutoff = dumpStamp(at ?? now);
    const name = `rocketchat-mongodb-restore-${dumpStamp(now).slice(0, 13).toLowerCase()}`;
    const pick = [
        "set -euo pipefail",
        'dest="s3://$S3_BUCKET/$S3_PREFIX"',
        `f="$(aws --endpoint-url "$S3_ENDPOINT" s3 ls "$dest/" | awk '{ print $4 }' | grep '^${DUMP_PREFIX}.*\\.archive\\.gz$' | awk -v c="${DUMP_PREFIX}${cutoff}.archive.gz" '$0 <= c' | sort | tail -n 1)"`,
        '[ -n "$f" ] || { echo "no dump at or before the requested time under $dest" >&2; exit 1; }',
        'echo "restoring $dest/$f"',
        'aws --endpoint-url "$S3_ENDPOINT" s3 cp "$dest/$f" /dump/rocketchat.archive.gz',
    ].join("\n");
    const restore = [
        "set -eu",
        "umask 077",
        'printf \'uri: "%s"\\n\' "$MONGO_URI" > /tmp/mongorestore.yaml',
        "exec mongorestore --config=/tmp/mongorestore.yaml --archive=/dump/rocketchat.archive.gz --gzip --drop",
    ].join("\n");
    const job = {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "picluster", "app.kubernetes.io/component": "mongodb-restore" } },
        spec: {
            backoffLimit: 0,
            ttlSecondsAfterFinished: 86400,
            template: {
                // The dump's labels: its NetworkPolicy lets these pods reach MongoDB and the target.
                metadata: { labels: BACKUP_POD_LABELS },
                spec: {
                    nodeSelector: { "kubernetes.io/arch": "amd64" },
                    ...hardenedPod({
                        init: [{ name: "download", image: backups.mongodb.uploadImage, command: ["/bin/bash", "-c", pick], env: targetEnv(backups) }],
                        main: [
                            {
                                name: "mongorestore",
                                image: backups.mongodb.dumpImage,
                                command: ["/bin/sh", "-c", restore],
                                env: [{ name: "MONGO_URI", valueFrom: { secretKeyRef: { name: MONGO_URI_SECRET, key: "mongo-uri" } } }, { name: "HOME", value: "/tmp" }],
                            },
                        ],
                    }),
                },
            },
        },
    };
    const deployment = `deployment/${ROCKETCHAT_RELEASE}-rocketchat`;
    return {
        kind: "mongodb",
        summary: `restore Rocket.Chat's MongoDB from the newest dump at or before ${at ? at.toISOString() : "now"} under ${s3Url(backups, "mongodb")} (credentials from Secret ${MONGODB_BACKUP_SECRET}); existing collections are replaced`,
        steps: [
            { what: "stop Rocket.Chat so nothing writes during the restore", kind: "kubectl", args: ["-n", namespace, "scale", deployment, "--replicas=0"] },
            { what: `run the restore Job ${name}`, kind: "kubectl", args: ["apply", "-f", "-"], manifest: job },
            { what: "wait for the restore to finish", kind: "kubectl", args: ["-n", namespace, "wait", `job/${name}`, "--for=condition=Complete", "--timeout=3600s"] },
            { what: "start Rocket.Chat again", kind: "kubectl", args: ["-n", namespace, "scale", deployment, "--replicas=1"] },
            // Rocket.Chat migrates an older dump's schema as it starts: up and ready is the first check.
            { what: "wait until Rocket.Chat is up on the restored data", kind: "kubectl", args: ["-n", namespace, "rollout", "status", deployment, "--timeout=900s"] },
            {
                what: `verify: sign in, open a few rooms and their latest messages; after a move from the Bitnami MongoDB 6.0, delete its volume only then (kubectl -n ${namespace} delete pvc ${BITNAMI_MONGODB_PVC})`,
                kind: "manual",
            },
        ],
    };
}

/** The plan for `kind`. */
export function restorePlan(kind: RestoreKind, plan: StackPlan, at: Date | undefined, now: Date): RestorePlan {
    if (kind === "etcd") return etcdRestorePlan(plan, at);
    if (kind === "postgres") return postgresRestorePlan(plan, at, now);
    return mongodbRestorePlan(plan, at, now);
}

/** The plan as printed before asking: numbered steps, commands and manifests in full (they hold no secret). */
export function formatRestorePlan(p: RestorePlan): string {
    const lines = [`restore ${p.kind}: ${p.summary}`, ""];
    p.steps.forEach((s, i) => {
        lines.push(`${i + 1}. ${s.what}`);
        if (s.kind === "ssh") lines.push(`   ssh ${s.user}@${s.host} -p ${s.port} -- ${s.command}`);
        if (s.kind === "kubectl") lines.push(`   kubectl ${s.args.join(" ")}`);
        if (s.kind === "switch-app-secret") lines.push(`   Secret ${s.namespace}/${s.secret}: host ${s.fromHost} -> ${s.toHost}; kubectl -n ${s.namespace} rollout restart deployment/${s.deployment}`);
        if (s.kind === "kubectl" && s.manifest) lines.push(...JSON.stringify(s.manifest, null, 2).split("\n").map((l) => `   ${l}`));
    });
    return lines.join("\n");
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { dnsEgressRule, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../k8s/hardening";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { prefixOf, type BackupPlan } from "../../../plan/backups";

/** The CronJob and the Secret with the target's credentials, in Rocket.Chat's namespace. */
export const MONGODB_DUMP = "rocketchat-mongodb-dump";
export const MONGODB_BACKUP_SECRET = "rocketchat-backup-s3";
/** The uid of the `mongodb` user in the official mongo image; the AWS CLI runs as it too. */
export const DUMP_UID = 999;
/** Dump files: `rocketchat-<UTC stamp>.archive.gz`; the stamp sorts as text, which the pruning relies on. */
export const DUMP_PREFIX = "rocketchat-";
/** The labels of the dump and restore pods (their NetworkPolicy selects them). */
export const BACKUP_POD_LABELS = standardLabels("rocketchat", "mongodb-backup");

/** The TCP port of the S3 endpoint: explicit, else 443 (https) or 80 (http). */
export function endpointPort(endpoint: string): number {
    const m = /:(\d+)\/?$/.exec(endpoint.replace(/^https?:\/\//, ""));
    return m ? Number(m[1]) : endpoint.startsWith("https://") ? 443 : 80;
}

/** Writes the connection string to a private file so it never appears in mongodump's argv. */
export const DUMP_SCRIPT = [
    "set -eu",
    "umask 077",
    'printf \'uri: "%s"\\n\' "$MONGO_URI" > /tmp/mongodump.yaml',
    "exec mongodump --config=/tmp/mongodump.yaml --archive=/dump/rocketchat.archive.gz --gzip",
].join("\n");

/** Uploads the dump under its UTC stamp, then deletes dumps older than RETENTION_DAYS. */
export const UPLOAD_SCRIPT = [
    "set -euo pipefail",
    'dest="s3://$S3_BUCKET/$S3_PREFIX"',
    's3() { aws --endpoint-url "$S3_ENDPOINT" s3 "$@"; }',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    `s3 cp /dump/rocketchat.archive.gz "$dest/${DUMP_PREFIX}$stamp.archive.gz"`,
    'cutoff="$(date -u -d "@$(( $(date -u +%s) - RETENTION_DAYS * 86400 ))" +%Y%m%dT%H%M%SZ)"',
    's3 ls "$dest/" | awk \'{ print $4 }\' | while read -r f; do',
    `    case "$f" in ${DUMP_PREFIX}*.archive.gz) ;; *) continue ;; esac`,
    `    s="\${f#${DUMP_PREFIX}}"; s="\${s%.archive.gz}"`,
    '    if [[ "$s" < "$cutoff" ]]; then s3 rm "$dest/$f"; fi',
    "done",
].join("\n");

export interface MongoDumpArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    plan: BackupPlan;
    /** Secret and key holding the MongoDB connection string. */
    uriSecret: { name: string; key: string };
    /** The release whose MongoDB is dumped. */
    dependsOn?: pulumi.Resource[];
}

/** The environment both containers read the target from; credentials only by Secret reference. */
export function targetEnv(plan: Pick<BackupPlan, "target" | "mongodb">): k8s.types.input.core.v1.EnvVar[] {
    const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: MONGODB_BACKUP_SECRET, key } } });
    return [
        { name: "S3_ENDPOINT", value: plan.target.endpoint },
        { name: "S3_BUCKET", value: plan.target.bucket },
        { name: "S3_PREFIX", value: prefixOf(plan, "mongodb") },
        { name: "AWS_DEFAULT_REGION", value: plan.target.region },
        { name: "RETENTION_DAYS", value: String(plan.mongodb.retentionDays) },
        { name: "HOME", value: "/tmp" },
        fromSecret("AWS_ACCESS_KEY_ID", "accessKeyId"),
        fromSecret("AWS_SECRET_ACCESS_KEY", "secretAccessKey"),
    ];
}

/** A hardened pod: non-root, read-only root, no capabilities; scratch space in emptyDirs. */
export function hardenedPod(containers: { init: k8s.types.input.core.v1.Container[]; main: k8s.types.input.core.v1.Container[] }): k8s.types.input.core.v1.PodSpec {
    const secure = restrictedContainerSecurityContext(DUMP_UID, true);
    const mounts = [
        { name: "dump", mountPath: "/dump" },
        { name: "tmp", mountPath: "/tmp" },
    ];
    const harden = (c: k8s.types.input.core.v1.Container) => ({ ...c, securityContext: secure, volumeMounts: mounts, resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } });
    return {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurityContext(DUMP_UID),
        initContainers: containers.init.map(harden),
        containers: containers.main.map(harden),
        volumes: [
            { name: "dump", emptyDir: {} },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
        ],
    };
}

/** The CronJob's spec: mongodump in an init container, upload and pruning in the main one. */
export function dumpCronJobSpec(plan: Pick<BackupPlan, "target" | "mongodb">, uriSecret: { name: string; key: string }): k8s.types.input.batch.v1.CronJobSpec {
    const labels = BACKUP_POD_LABELS;
    return {
        schedule: plan.mongodb.cron,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
            metadata: { labels },
            spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: 3600,
                template: {
                    metadata: { labels },
                    spec: {
                        // MongoDB 5+'s tools need ARMv8.2 (not a Pi 4): with the database, on amd64.
                        nodeSelector: { "kubernetes.io/arch": "amd64" },
                        ...hardenedPod({
                            init: [
                                {
                                    name: "mongodump",
                                    image: plan.mongodb.dumpImage,
                                    command: ["/bin/sh", "-c", DUMP_SCRIPT],
                                    env: [{ name: "MONGO_URI", valueFrom: { secretKeyRef: uriSecret } }, { name: "HOME", value: "/tmp" }],
                                },
                            ],
                            main: [{ name: "upload", image: plan.mongodb.uploadImage, command: ["/bin/bash", "-c", UPLOAD_SCRIPT], env: targetEnv(plan) }],
                        }),
                    },
                },
            },
        },
    };
}

/**
 * Rocket.Chat's MongoDB dumped on a schedule to the backup target: mongodump
 * (pinned image) into an emptyDir, then the AWS CLI (pinned image) uploads
 * it and prunes dumps past the retention.
 */
export class MongoDump extends pulumi.ComponentResource {
    readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: MongoDumpArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:backups:MongoDump", name, {}, opts);
        const { plan } = args;
        const k8sOpts = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.cluster.provider,
            dependsOn: [...args.cluster.readyResources, args.namespace.resource, ...deps],
        });
        const secret = new k8s.core.v1.Secret(
            `${name}-s3`,
            {
                metadata: { name: MONGODB_BACKUP_SECRET, namespace: args.namespace.name, labels: standardLabels("rocketchat", "backup") },
                stringData: { accessKeyId: pulumi.secret(plan.accessKeyId), secretAccessKey: pulumi.secret(plan.secretAccessKey) },
            },
            k8sOpts(),
        );
        const labels = BACKUP_POD_LABELS;
        // No ingress; egress to DNS, the MongoDB pods and the target's port.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-egress`,
            {
                metadata: { name: `${MONGODB_DUMP}-egress`, namespace: args.namespace.name, labels },
                spec: {
                    podSelector: { matchLabels: labels },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [],
                    egress: [
                        dnsEgressRule(),
                        { to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "mongodb" } } }], ports: [{ protocol: "TCP", port: 27017 }] },
                        { ports: [{ protocol: "TCP", port: endpointPort(plan.target.endpoint) }] },
                    ],
                },
            },
            k8sOpts(),
        );
        this.cronJob = new k8s.batch.v1.CronJob(
            name,
            {
                metadata: { name: MONGODB_DUMP, namespace: args.namespace.name, labels },
                spec: dumpCronJobSpec(plan, args.uriSecret),
            },
            k8sOpts([secret, ...(args.dependsOn ?? [])]),
        );
        this.registerOutputs({});
    }
}

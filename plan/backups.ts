import { shownSecretName } from "../config/messages";
import type * as pulumi from "@pulumi/pulumi";
import type { SecretReader } from "../config/load";
import { cronProblem } from "../config/cron";
import type { BackupsSpec, S3Target } from "../config/schema/backups";
import type { ClusterSpec } from "../config/schema/cluster";

/** What is backed up, each under its own prefix of the target. */
export type BackupKind = "etcd" | "postgres" | "mongodb" | "longhorn";

/** The backup target and schedules, checked, with the credentials resolved to secrets. */
export interface BackupPlan {
    target: S3Target & { folder: string };
    /** The S3 access key id and secret key, secret Outputs (never in plain state). */
    accessKeyId: pulumi.Output<string>;
    secretAccessKey: pulumi.Output<string>;
    etcd: BackupsSpec["etcd"];
    postgres: BackupsSpec["postgres"];
    mongodb: BackupsSpec["mongodb"];
    /** Longhorn's RecurringJob (used only when services.storage.kind is longhorn). */
    longhorn: BackupsSpec["longhorn"];
}

/** `https://host:port/` → `host:port` (what k3s's etcd-s3-endpoint takes). */
export function endpointAuthority(endpoint: string): string {
    return endpoint.replace(/^https?:\/\//, "").replace(/\/$/, "");
}

/** The host of the endpoint, without port or brackets. */
export function endpointHostname(endpoint: string): string {
    const authority = endpointAuthority(endpoint);
    const v6 = /^\[([^\]]+)\]/.exec(authority);
    return v6 ? v6[1] : authority.replace(/:\d+$/, "");
}

/** The endpoint is plain http: credentials and data travel unencrypted. */
export function isInsecureEndpoint(endpoint: string): boolean {
    return endpoint.startsWith("http://");
}

/** `<folder>/<kind>`: the prefix one kind of backup lives under. */
export function prefixOf(plan: Pick<BackupPlan, "target">, kind: BackupKind): string {
    return `${plan.target.folder}/${kind}`;
}

/** `s3://bucket/<folder>/<kind>`. */
export function s3Url(plan: Pick<BackupPlan, "target">, kind: BackupKind): string {
    return `s3://${plan.target.bucket}/${prefixOf(plan, kind)}`;
}

/**
 * Plans the backups: checks the schedules, resolves the credentials (each
 * must be a secret config key) and warns about a target that is not off the
 * cluster. Undefined when `backups.s3` is not set. Problems and warnings are
 * appended, never thrown.
 */
export function planBackups(
    input: { backups: BackupsSpec; cluster: ClusterSpec; stack: string; namespaces?: string[] },
    secrets: SecretReader,
    problems: string[],
    warnings: string[],
): BackupPlan | undefined {
    const { backups, cluster } = input;
    const s3 = backups.s3;
    if (!s3) return undefined;
    const key = "picluster:backups";
    for (const kind of ["etcd", "postgres", "mongodb", "longhorn"] as const) {
        const p = cronProblem(backups[kind].cron);
        if (p) problems.push(`${key}.${kind}.cron = "${backups[kind].cron}": ${p}`);
    }
    const resolve = (field: "accessKeyId" | "secretAccessKey") => {
        const name = s3.credentials[field];
        const r = secrets(name);
        if ("problem" in r) {
            problems.push(`${key}.s3.credentials.${field} = ${shownSecretName(name)}: ${r.problem}`);
            return undefined;
        }
        return r.value;
    };
    const accessKeyId = resolve("accessKeyId");
    const secretAccessKey = resolve("secretAccessKey");

    if (isInsecureEndpoint(s3.endpoint)) {
        warnings.push(`${key}.s3.endpoint = "${s3.endpoint}": plain http sends the credentials and every backup unencrypted; use https`);
    }
    const host = endpointHostname(s3.endpoint);
    const inside = cluster.nodes.find((n) => n.host === host || n.name === host);
    // `<service>.<namespace>` of a namespace the platform creates (the minio preset's `minio.minio`), or a bare service name.
    const labels = host.split(".");
    const service = !/^[\d.]+$/.test(host) && (labels.length === 1 || (labels.length >= 2 && (input.namespaces ?? []).includes(labels[1]) && (labels.length === 2 || labels[2] === "svc")));
    if (inside || service || /\.svc(\.cluster\.local)?$/.test(host) || host === "localhost" || host.startsWith("127.")) {
        warnings.push(
            `${key}.s3.endpoint = "${s3.endpoint}": the target is inside the cluster it protects${inside ? ` (node ${inside.name})` : ""}; when that disk dies the backups die with it, so this is not a backup. Point it at a workstation, a NAS or a cloud bucket`,
        );
    }
    const servers = cluster.nodes.filter((n) => n.role === "server");
    const sd = servers.length === 1 && servers[0].arch === "arm64" && servers[0].dataDir === undefined ? servers[0] : undefined;
    if (sd) {
        warnings.push(`${key}.s3: the single server ${sd.name} now runs embedded etcd (for snapshots) without dataDir; on an SD card etcd's fsync latency can stall the cluster; set its dataDir to an SSD mount`);
    }
    if (cluster.kubeconfig !== undefined) {
        warnings.push(`${key}.s3: the cluster is not bootstrapped by picluster (cluster.kubeconfig), so its datastore snapshots are not configured; only the databases are backed up`);
    }
    if (!accessKeyId || !secretAccessKey) return undefined;
    return {
        target: { ...s3, folder: s3.folder ?? `picluster/${input.stack}` },
        accessKeyId,
        secretAccessKey,
        etcd: backups.etcd,
        postgres: backups.postgres,
        mongodb: backups.mongodb,
        longhorn: backups.longhorn,
    };
}

import type { BackupPlan } from "../../plan/backups";
import { endpointAuthority, isInsecureEndpoint, prefixOf } from "../../plan/backups";

/** k3s's etcd snapshot upload settings, with the credentials in the clear: only ever rendered inside a secret. */
export interface EtcdS3Settings {
    endpoint: string;
    bucket: string;
    region: string;
    folder: string;
    accessKey: string;
    secretKey: string;
    insecure: boolean;
    cron: string;
    retention: number;
}

/** The settings for one plan, once its secret credentials are resolved (inside an apply). */
export function etcdS3Settings(plan: Omit<BackupPlan, "accessKeyId" | "secretAccessKey">, accessKey: string, secretKey: string): EtcdS3Settings {
    return {
        endpoint: endpointAuthority(plan.target.endpoint),
        bucket: plan.target.bucket,
        region: plan.target.region,
        folder: prefixOf(plan, "etcd"),
        accessKey,
        secretKey,
        insecure: isInsecureEndpoint(plan.target.endpoint),
        cron: plan.etcd.cron,
        retention: plan.etcd.retention,
    };
}

/**
 * The k3s config.yaml keys for scheduled snapshots uploaded to S3 (the
 * `--etcd-s3*` server flags). k3s keeps `retention` snapshots both on the
 * server's disk and in the bucket.
 */
export function etcdS3ConfigKeys(s: EtcdS3Settings): Record<string, unknown> {
    return {
        "etcd-snapshot-schedule-cron": s.cron,
        "etcd-snapshot-retention": s.retention,
        "etcd-s3": true,
        "etcd-s3-endpoint": s.endpoint,
        "etcd-s3-bucket": s.bucket,
        "etcd-s3-region": s.region,
        "etcd-s3-folder": s.folder,
        "etcd-s3-access-key": s.accessKey,
        "etcd-s3-secret-key": s.secretKey,
        ...(s.insecure ? { "etcd-s3-insecure": true } : {}),
    };
}

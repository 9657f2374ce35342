import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../../k8s/labels";
import type { Values } from "../../../plan/values";
import { prefixOf, type BackupPlan } from "../../../plan/backups";

/** The Secret CloudNativePG's barman-cloud reads the target's credentials from (the chart creates none). */
export const POSTGRES_BACKUP_SECRET = "pg-backup-s3";
/** The key names the cluster chart's barmanObjectStore template points at. */
export const BARMAN_KEYS = { accessKeyId: "ACCESS_KEY_ID", secretAccessKey: "ACCESS_SECRET_KEY" } as const;
/** The ScheduledBackup's name suffix (the chart names it `<cluster>-<name>`). */
export const SCHEDULED_BACKUP = "scheduled";

/** Our five-field cron as CloudNativePG's six-field one (seconds first). */
export function withSeconds(cron: string): string {
    return `0 ${cron.trim()}`;
}

/**
 * The cluster chart's `backups` values: base backups and continuous WAL
 * archiving through the in-tree barman object store (see docs/decisions.md),
 * one ScheduledBackup, a retention policy. Only the Secret's name appears
 * here; `secret.create: false` keeps the credentials out of the chart values.
 */
export function postgresBackupValues(plan: Pick<BackupPlan, "target" | "postgres">): Values {
    return {
        enabled: true,
        method: "barmanObjectStore",
        provider: "s3",
        endpointURL: plan.target.endpoint,
        destinationPath: `s3://${plan.target.bucket}/${prefixOf(plan, "postgres")}`,
        s3: { region: plan.target.region, bucket: plan.target.bucket, path: "/", accessKey: "", secretKey: "", inheritFromIAMRole: false },
        secret: { create: false, name: POSTGRES_BACKUP_SECRET },
        // Server-side encryption is left to the bucket: AES256 is refused by many S3-compatible stores.
        wal: { compression: "gzip", encryption: "", maxParallel: 2 },
        data: { compression: "gzip", encryption: "", jobs: 2 },
        scheduledBackups: [{ name: SCHEDULED_BACKUP, schedule: withSeconds(plan.postgres.cron), backupOwnerReference: "self", method: "barmanObjectStore" }],
        retentionPolicy: `${plan.postgres.retentionDays}d`,
    };
}

/** The credentials Secret in the database's namespace, values secret Outputs only. */
export function postgresBackupSecret(name: string, plan: BackupPlan, namespace: string, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: POSTGRES_BACKUP_SECRET, namespace, labels: { ...standardLabels("postgres", "backup"), "cnpg.io/reload": "true" } },
            stringData: { [BARMAN_KEYS.accessKeyId]: pulumi.secret(plan.accessKeyId), [BARMAN_KEYS.secretAccessKey]: pulumi.secret(plan.secretAccessKey) },
        },
        opts,
    );
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../../k8s/labels";
import type { Values } from "../../../plan/values";
import { prefixOf, type BackupPlan } from "../../../plan/backups";

/** The Secret Longhorn reads the backup target's credentials from (in its own namespace). */
export const LONGHORN_BACKUP_SECRET = "longhorn-backup-s3";
/** The RecurringJob that backs up every volume (group `default`: volumes without their own jobs). */
export const LONGHORN_BACKUP_JOB = "picluster-backup";

/** Longhorn's S3 backup target URL: `s3://<bucket>@<region>/<folder>/longhorn/`. */
export function longhornBackupTarget(plan: Pick<BackupPlan, "target">): string {
    return `s3://${plan.target.bucket}@${plan.target.region}/${prefixOf(plan, "longhorn")}/`;
}

/**
 * The chart's `defaultBackupStore` values: the target and the name of the
 * credentials Secret, never the credentials themselves.
 */
export function longhornBackupValues(plan: Pick<BackupPlan, "target">): Values {
    return { backupTarget: longhornBackupTarget(plan), backupTargetCredentialSecret: LONGHORN_BACKUP_SECRET };
}

/**
 * The RecurringJob's spec: a backup of every volume in the `default` group
 * (every volume that names no recurring job of its own), on the schedule,
 * keeping `retain` backups per volume.
 */
export function longhornBackupJobSpec(plan: Pick<BackupPlan, "longhorn">): Values {
    return { name: LONGHORN_BACKUP_JOB, task: "backup", cron: plan.longhorn.cron, retain: plan.longhorn.retain, concurrency: 1, groups: ["default"], labels: {} };
}

/** The credentials Secret: the keys Longhorn's S3 backup store reads, values secret Outputs only. */
export function longhornBackupSecret(name: string, plan: BackupPlan, namespace: string, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: LONGHORN_BACKUP_SECRET, namespace, labels: standardLabels("longhorn", "backup") },
            stringData: {
                AWS_ACCESS_KEY_ID: pulumi.secret(plan.accessKeyId),
                AWS_SECRET_ACCESS_KEY: pulumi.secret(plan.secretAccessKey),
                // Any S3-compatible store (a NAS, MinIO): Longhorn talks to this URL instead of AWS.
                AWS_ENDPOINTS: plan.target.endpoint.replace(/\/$/, ""),
            },
        },
        opts,
    );
}

/** The RecurringJob, after the chart (which brings its CRD). */
export function longhornBackupJob(name: string, plan: BackupPlan, namespace: string, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "longhorn.io/v1beta2",
            kind: "RecurringJob",
            metadata: { name: LONGHORN_BACKUP_JOB, namespace, labels: standardLabels("longhorn", "backup") },
            spec: longhornBackupJobSpec(plan),
        },
        opts,
    );
}

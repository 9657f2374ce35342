import * as pulumi from "@pulumi/pulumi";
import type { BackupPlan } from "../../plan/backups";

/** A backup target as a user writes it: credentials named, never given. */
export const S3_TARGET = {
    endpoint: "https://nas.example.org:9000",
    bucket: "picluster-backups",
    region: "eu-west-1",
    credentials: { accessKeyId: "backupAccessKeyId", secretAccessKey: "backupSecretAccessKey" },
};

/** The stand-in credential values (secret config), for plain-state assertions. */
export const S3_ACCESS_KEY = "AKIA-test-access-key-id";
export const S3_SECRET_KEY = "test-secret-access-key-0123456789";

/** Config overrides that turn backups on: the `backups` key plus its two secret keys. */
export function backupOverrides(s3: Record<string, unknown> = S3_TARGET): { overrides: Record<string, unknown>; secretKeys: string[] } {
    return {
        overrides: { backups: { s3 }, backupAccessKeyId: S3_ACCESS_KEY, backupSecretAccessKey: S3_SECRET_KEY },
        secretKeys: ["backupAccessKeyId", "backupSecretAccessKey"],
    };
}

/** A whole backup plan, as the plan stage makes it, for tests that render or admit the backup objects without a stack. */
export function chartTestBackupPlan(): BackupPlan {
    return {
        target: { endpoint: "https://nas.example.org:9000", bucket: "picluster-backups", region: "eu-west-1", folder: "picluster/pi", credentials: { accessKeyId: "a", secretAccessKey: "b" } },
        accessKeyId: pulumi.output("unused"),
        secretAccessKey: pulumi.output("unused"),
        etcd: { cron: "0 */6 * * *", retention: 28 },
        postgres: { cron: "0 3 * * *", retentionDays: 30 },
        mongodb: { cron: "30 3 * * *", retentionDays: 14, dumpImage: "mongo:6.0.20", uploadImage: "amazon/aws-cli:2.27.50" },
        longhorn: { cron: "0 2 * * *", retain: 14 },
    };
}

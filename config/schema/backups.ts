import { z } from "zod";
import { pinnedImage } from "./common";

/** The name of another config key under `picluster:` that holds a secret (never the secret itself). */
const secretKeyName = z
    .string()
    .regex(
        /^[A-Za-z][A-Za-z0-9_-]{0,99}$/,
        "must be the NAME of a secret config key under picluster: (e.g. backupAccessKeyId, set with `pulumi config set --secret picluster:backupAccessKeyId`), never the credential itself",
    );

/** Five cron fields; checked in the plan (config/cron.ts cronProblem, the grammar Kubernetes and k3s parse). */
const cron = z.string();

/**
 * The one S3-compatible backup target. Credentials are named, not given:
 * each names a config key that must be stored with `--secret`.
 */
export const s3TargetSchema = z.strictObject({
    /** `https://host[:port]` of the S3 API (AWS, a NAS, MinIO on a workstation). `http://` only with a warning. */
    endpoint: z.string().regex(/^https?:\/\/[A-Za-z0-9.\-[\]:]+(:\d+)?\/?$/, "must be the S3 API's base URL such as https://s3.eu-west-1.amazonaws.com or https://nas.lan:9000 (no path)"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'"),
    region: z.string().regex(/^[a-z0-9-]+$/, "must be a region such as us-east-1").default("us-east-1"),
    /** Prefix inside the bucket; each kind of backup goes under `<folder>/<kind>/`. Defaults to the stack name. */
    folder: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/, "must be a relative prefix such as picluster/pi (no leading or trailing '/')").optional(),
    credentials: z.strictObject({
        accessKeyId: secretKeyName,
        secretAccessKey: secretKeyName,
    }),
});

export const backupsSchema = z
    .strictObject({
        s3: s3TargetSchema.optional(),
        /** k3s's own etcd snapshots, uploaded to the target. `retention` counts snapshots. */
        etcd: z.strictObject({ cron: cron.default("0 */6 * * *"), retention: z.number().int().min(1).default(28) }).default({ cron: "0 */6 * * *", retention: 28 }),
        /** CloudNativePG base backups (WAL is archived continuously); retention in days. */
        postgres: z.strictObject({ cron: cron.default("0 3 * * *"), retentionDays: z.number().int().min(1).default(30) }).default({ cron: "0 3 * * *", retentionDays: 30 }),
        /** Rocket.Chat's MongoDB dump; retention in days. */
        mongodb: z
            .strictObject({
                cron: cron.default("30 3 * * *"),
                retentionDays: z.number().int().min(1).default(14),
                /** Runs mongodump (the database tools ship in the official server image): the same mongo image as Rocket.Chat's MongoDB. */
                dumpImage: pinnedImage.default("mongo:8.0.26-noble"),
                /** Uploads and prunes with the AWS CLI. */
                uploadImage: pinnedImage.default("amazon/aws-cli:2.27.50"),
            })
            .default({ cron: "30 3 * * *", retentionDays: 14, dumpImage: "mongo:8.0.26-noble", uploadImage: "amazon/aws-cli:2.27.50" }),
        /** Longhorn volume backups (services.storage.kind longhorn only): a RecurringJob for every volume; `retain` counts backups per volume. */
        longhorn: z.strictObject({ cron: cron.default("0 2 * * *"), retain: z.number().int().min(1).max(100).default(14) }).default({ cron: "0 2 * * *", retain: 14 }),
    })
    .default({
        etcd: { cron: "0 */6 * * *", retention: 28 },
        postgres: { cron: "0 3 * * *", retentionDays: 30 },
        mongodb: { cron: "30 3 * * *", retentionDays: 14, dumpImage: "mongo:8.0.26-noble", uploadImage: "amazon/aws-cli:2.27.50" },
        longhorn: { cron: "0 2 * * *", retain: 14 },
    });

export type S3Target = z.output<typeof s3TargetSchema>;
export type BackupsSpec = z.output<typeof backupsSchema>;

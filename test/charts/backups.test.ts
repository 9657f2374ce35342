import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { describe, expect, it } from "vitest";
import { clusterValues } from "../../components/platform/services/postgres";
import { chartTgz, helmBin } from "../../scripts/charts/cache";
import { kubeVersion } from "../../scripts/charts/releases";
import { servicesSchema } from "../../config/schema/services";
import { chartTestBackupPlan } from "../helpers/backups";

/*
 * The pinned cloudnative-pg `cluster` chart rendered with the backup values
 * the program gives it: the Cluster gets the barman object store, a
 * ScheduledBackup exists, and the chart makes no credentials Secret of its own.
 */

type Obj = Record<string, any>;

const plan = chartTestBackupPlan();

function render(): Obj[] {
    const spec = servicesSchema.parse({}).postgres;
    const tgz = chartTgz({ repo: spec.repo, chart: "cluster", version: spec.clusterVersion });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-backup-chart-"));
    const values = path.join(dir, "values.json");
    fs.writeFileSync(values, JSON.stringify(clusterValues(spec, [{ name: "analytics", owner: "analytics" }], "local-path", plan)));
    try {
        const out = execFileSync(helmBin(), ["template", "postgres", tgz, "--namespace", "postgres", "-f", values, "--kube-version", kubeVersion("v1.33.5+k3s1")], { encoding: "utf8" });
        return YAML.parseAllDocuments(out).map((d) => d.toJSON() as Obj).filter(Boolean);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the pinned cluster chart with backups", () => {
    const objects = render();

    it("renders base backups and WAL archiving to the target with the retention policy, credentials by Secret reference", () => {
        const cluster = objects.find((o) => o.kind === "Cluster");
        expect(cluster?.spec.backup.retentionPolicy).toBe("30d");
        expect(cluster?.spec.backup.barmanObjectStore).toMatchObject({
            endpointURL: "https://nas.example.org:9000",
            destinationPath: "s3://picluster-backups/picluster/pi/postgres",
            s3Credentials: { accessKeyId: { name: "pg-backup-s3", key: "ACCESS_KEY_ID" }, secretAccessKey: { name: "pg-backup-s3", key: "ACCESS_SECRET_KEY" } },
            wal: { compression: "gzip", maxParallel: 2 },
        });
        expect(cluster?.spec.backup.barmanObjectStore.wal.encryption).toBeUndefined();
    });

    it("renders one ScheduledBackup on the six-field schedule", () => {
        const scheduled = objects.filter((o) => o.kind === "ScheduledBackup");
        expect(scheduled.map((o) => [o.metadata.name, o.spec.schedule, o.spec.cluster.name])).toEqual([["postgres-scheduled", "0 0 3 * * *", "postgres"]]);
    });

    it("makes no credentials Secret of its own", () => {
        expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    });
});

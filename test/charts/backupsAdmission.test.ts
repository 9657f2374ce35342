import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKUP_POD_LABELS, dumpCronJobSpec, MONGODB_DUMP } from "../../components/platform/backups/mongodbDump";
import { clusterValues } from "../../components/platform/services/postgres";
import { MONGO_URI_SECRET } from "../../components/platform/services/rocketchat";
import { chartTgz, helmBin } from "../../scripts/charts/cache";
import { kubeVersion } from "../../scripts/charts/releases";
import { loadConfig, secretsOf } from "../../config/load";
import { buildPlan } from "../../plan/plan";
import { restorePlan } from "../../scripts/lib/restore";
import { servicesSchema } from "../../config/schema/services";
import { backupOverrides, chartTestBackupPlan } from "../helpers/backups";
import { stackSource } from "../helpers/stacks";
import { ThrowawayApiServer } from "./apiServer";

/*
 * The backup objects against a real kube-apiserver (the toolchain's, on
 * loopback, as the e2e suite starts it) with the pinned operator chart's real
 * CloudNativePG CRDs: every object is admitted by a server-side dry run.
 * Nothing runs: there is no kubelet, no operator.
 */

type Obj = Record<string, any>;
const server = new ThrowawayApiServer("backup-admission");
const dir = server.dir;
const kubectl = (args: string[], input?: string) => server.kubectl(args, input);
const dryRun = (obj: Obj) => server.dryRun(obj);

const plan = chartTestBackupPlan();

function template(chart: "cloudnative-pg" | "cluster", values: Obj, extra: string[] = []): Obj[] {
    const spec = servicesSchema.parse({}).postgres;
    const version = chart === "cluster" ? spec.clusterVersion : spec.operatorVersion;
    const file = path.join(dir, `${chart}-values.json`);
    fs.writeFileSync(file, JSON.stringify(values));
    const out = execFileSync(helmBin(), ["template", chart, chartTgz({ repo: spec.repo, chart, version }), "--namespace", "postgres", "-f", file, "--kube-version", kubeVersion("v1.33.5+k3s1"), ...extra], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    return YAML.parseAllDocuments(out).map((d) => d.toJSON() as Obj).filter(Boolean);
}

describe("backup objects admitted by a real API server with CloudNativePG's CRDs", () => {
    beforeAll(() => {
        server.start();
        const crds = template("cloudnative-pg", { crds: { create: true } }).filter((o) => o.kind === "CustomResourceDefinition");
        expect(crds.length).toBeGreaterThan(5);
        server.installCrds(crds, ["clusters.postgresql.cnpg.io", "scheduledbackups.postgresql.cnpg.io"]);
        for (const ns of ["postgres", "rocketchat"]) kubectl(["create", "namespace", ns]);
    });

    afterAll(() => {
        server.stop();
    });

    it("admits the Cluster with backups and its ScheduledBackup, as the pinned cluster chart renders them", () => {
        const spec = servicesSchema.parse({}).postgres;
        const objects = template("cluster", clusterValues(spec, [{ name: "analytics", owner: "analytics" }], "local-path", plan));
        const picked = objects.filter((o) => o.kind === "Cluster" || o.kind === "ScheduledBackup");
        expect(picked.map((o) => o.kind).sort()).toEqual(["Cluster", "ScheduledBackup"]);
        for (const o of picked) {
            const r = dryRun({ ...o, metadata: { ...o.metadata, namespace: "postgres" } });
            expect(r.status, r.out).toBe(0);
        }
    });

    it("admits the MongoDB dump CronJob", () => {
        const cron = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: MONGODB_DUMP, namespace: "rocketchat", labels: BACKUP_POD_LABELS }, spec: dumpCronJobSpec(plan, { name: MONGO_URI_SECRET, key: "mongo-uri" }) };
        const r = dryRun(cron);
        expect(r.status, r.out).toBe(0);
    });

    it("admits what the postgres and mongodb restores would create", () => {
        const { overrides, secretKeys } = backupOverrides();
        const source = stackSource("pi", overrides, { secretKeys });
        const stack = buildPlan(loadConfig(source), secretsOf(source));
        const now = new Date("2026-11-29T16:20:00Z");
        for (const kind of ["postgres", "mongodb"] as const) {
            const manifests = restorePlan(kind, stack, new Date("2026-11-29T03:00:00Z"), now).steps.flatMap((s) => (s.kind === "kubectl" && s.manifest ? [s.manifest] : []));
            expect(manifests.length).toBe(1);
            const r = dryRun(manifests[0]);
            expect(r.status, `${kind}: ${r.out}`).toBe(0);
        }
    });

    it("refuses a broken object (the dry run is not vacuous)", () => {
        const r = dryRun({ apiVersion: "postgresql.cnpg.io/v1", kind: "ScheduledBackup", metadata: { name: "bad", namespace: "postgres" }, spec: { schedule: 5, cluster: { name: "postgres" } } });
        expect(r.status).not.toBe(0);
    });
});

import * as fs from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { LONGHORN_BACKUP_JOB, LONGHORN_BACKUP_SECRET, longhornBackupJobSpec } from "../../components/platform/backups/longhorn";
import { checkChartWorkloads, checkEndpoints, checkKeys, checkOperatorImages, checkPodSecurity, checkVersions, PodSecurityJudge } from "../../scripts/charts/checks";
import { allowedKeys, chartExemptions } from "../../scripts/charts/exemptions";
import { isChartManifest, parseManifests } from "../../scripts/charts/releases";
import { layerStackRoot, renderInChildAsync } from "../../scripts/charts/stacks";
import { prerequisites, ROOT } from "./layer";
import { ThrowawayApiServer } from "./apiServer";

/*
 * The storage stack of the chart layer (test/charts/stacks/Pulumi.storage.yaml):
 * Longhorn as the storage with backups to a NAS, and the minio preset. Both
 * upstream charts are rendered at their pins from this program's values and
 * checked like the deployed stacks' charts; then a real kube-apiserver
 * holding the pinned chart's Longhorn CRDs admits the program's RecurringJob.
 */

type Obj = Record<string, any>;
let judge: PodSecurityJudge;
let files: Map<string, string>;

const manifests = (release: string) => parseManifests(files.get(`charts/${release}.yaml`) ?? "") as Obj[];
const configMap = (release: string, name: string) => manifests(release).find((o) => o.kind === "ConfigMap" && o.metadata.name === name);

beforeAll(async () => {
    judge = prerequisites().judge;
    const root = layerStackRoot(ROOT, "storage");
    try {
        files = await renderInChildAsync(root, "storage", { manifests: true });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
});

describe("the storage stack's rendered charts (Longhorn, MinIO)", () => {
    it("renders the Longhorn and MinIO releases, each with objects", () => {
        const charts = [...files.keys()].filter(isChartManifest).sort();
        expect(charts).toEqual(expect.arrayContaining(["charts/longhorn.yaml", "charts/minio.yaml"]));
        expect(manifests("longhorn").filter((o) => o.kind === "DaemonSet").map((o) => o.metadata.name)).toEqual(["longhorn-manager"]);
        expect(manifests("minio").filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual(["minio"]);
    });

    it("pin only chart versions their repositories publish", () => {
        expect(checkVersions(files)).toEqual([]);
    });

    it("give every stack output endpoint (longhorn-frontend:80, minio:9000) a Service and port that exists", () => {
        expect(files.get("outputs.yaml")).toMatch(/longhorn-frontend\.longhorn-system\.svc\.cluster\.local:80/);
        expect(files.get("outputs.yaml")).toMatch(/minio\.minio\.svc\.cluster\.local:9000/);
        expect(checkEndpoints(files)).toEqual([]);
    });

    it("pass the Pod Security level each namespace enforces (longhorn-system privileged, minio restricted, its bucket job included)", () => {
        const job = manifests("minio").find((o) => o.kind === "Job");
        expect(job?.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(checkPodSecurity(files, judge)).toEqual([]);
    });

    it("pass the policy pack's workload rules, save the listed exemptions", () => {
        expect(checkChartWorkloads(files, chartExemptions).problems).toEqual([]);
    });

    it("pin the images operators run from the rendered custom resources", () => {
        expect(checkOperatorImages(files)).toEqual([]);
    });

    it("set only values keys the chart versions declare or read", () => {
        expect(checkKeys(files, allowedKeys)).toEqual([]);
    });

    it("give Longhorn's StorageClass the planned replicas (3 nodes → 3), not marked default beside k3s's local-path", () => {
        const sc = YAML.parse(configMap("longhorn", "longhorn-storageclass")?.data["storageclass.yaml"]) as Obj;
        expect(sc.metadata).toMatchObject({ name: "longhorn", annotations: { "storageclass.kubernetes.io/is-default-class": "false" } });
        expect(sc.parameters.numberOfReplicas).toBe("3");
    });

    it("point Longhorn's default backup target at backups.s3, naming only the credentials Secret", () => {
        const data = configMap("longhorn", "longhorn-default-resource")?.data["default-resource.yaml"] as string;
        expect(YAML.parse(data)).toEqual({ "backup-target": "s3://picluster-backups@us-east-1/picluster/storage/longhorn/", "backup-target-credential-secret": LONGHORN_BACKUP_SECRET });
        const settings = YAML.parse(configMap("longhorn", "longhorn-default-setting")?.data["default-setting.yaml"]) as Obj;
        expect(settings).toMatchObject({ "replica-soft-anti-affinity": false, "upgrade-checker": false });
    });

    it("keep the secret stand-ins out of every chart manifest", () => {
        for (const [f, text] of files) if (f.startsWith("charts/") && !f.endsWith(".values.yaml")) expect(text, f).not.toMatch(/offline-secret:backupSecretAccessKey|offline-secret:minioRootPassword/);
    });
});

describe("Longhorn's backup RecurringJob admitted by a real API server with the pinned chart's CRDs", () => {
    const server = new ThrowawayApiServer("longhorn-admission");
    const kubectl = (args: string[], input?: string) => server.kubectl(args, input);
    const dryRun = (obj: Obj) => server.dryRun(obj);
    const job = (spec: Obj) => ({ apiVersion: "longhorn.io/v1beta2", kind: "RecurringJob", metadata: { name: LONGHORN_BACKUP_JOB, namespace: "longhorn-system" }, spec });

    beforeAll(() => {
        server.start();
        const crds = manifests("longhorn").filter((o) => o.kind === "CustomResourceDefinition");
        expect(crds.map((c) => c.metadata.name)).toContain("recurringjobs.longhorn.io");
        server.installCrds(crds, ["recurringjobs.longhorn.io"]);
        kubectl(["create", "namespace", "longhorn-system"]);
    });

    afterAll(() => server.stop());

    it("admits the RecurringJob the program creates with backups", () => {
        const r = dryRun(job(longhornBackupJobSpec({ longhorn: { cron: "0 2 * * *", retain: 14 } })));
        expect(r.status, r.out).toBe(0);
    });

    it("refuses a RecurringJob with an unknown task (the dry run is not vacuous)", () => {
        const r = dryRun(job({ ...longhornBackupJobSpec({ longhorn: { cron: "0 2 * * *", retain: 14 } }), task: "copy" }));
        expect(r.status).not.toBe(0);
        expect(r.out).toMatch(/task/);
    });
});

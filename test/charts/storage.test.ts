import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { LONGHORN_BACKUP_JOB, LONGHORN_BACKUP_SECRET, longhornBackupJobSpec } from "../../components/platform/backups/longhorn";
import { checkChartWorkloads, checkEndpoints, checkKeys, checkOperatorImages, checkPodSecurity, checkVersions, PodSecurityJudge } from "../../scripts/charts/checks";
import { allowedKeys, chartExemptions } from "../../scripts/charts/exemptions";
import { isChartManifest, parseManifests } from "../../scripts/charts/releases";
import { layerStackRoot, renderInChildAsync } from "../../scripts/charts/stacks";
import { prerequisites, ROOT } from "./layer";

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
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-longhorn-admission-"));
    const api = path.join(dir, "apiserver");
    let env: NodeJS.ProcessEnv;
    const kubectl = (args: string[], input?: string) => {
        const r = spawnSync("kubectl", args, { env, input, encoding: "utf8" });
        return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    };
    const dryRun = (obj: Obj) => kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(obj));
    const job = (spec: Obj) => ({ apiVersion: "longhorn.io/v1beta2", kind: "RecurringJob", metadata: { name: LONGHORN_BACKUP_JOB, namespace: "longhorn-system" }, spec });

    beforeAll(() => {
        const toolchainPath = /export PATH=(\S+):"\$PATH"/.exec(execFileSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--env"], { encoding: "utf8" }))?.[1];
        env = { ...process.env, PATH: `${toolchainPath}:${process.env.PATH}`, KUBECONFIG: path.join(api, "kubeconfig") };
        const start = spawnSync("bash", [path.join(ROOT, "test", "e2e", "lib", "apiserver.sh"), "start", api], { env, encoding: "utf8" });
        if (start.status !== 0) throw new Error(`kube-apiserver did not start: ${start.stderr}`);
        const crds = manifests("longhorn").filter((o) => o.kind === "CustomResourceDefinition");
        expect(crds.map((c) => c.metadata.name)).toContain("recurringjobs.longhorn.io");
        for (const crd of crds) {
            const r = kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(crd));
            if (r.status !== 0) throw new Error(r.out);
        }
        const wait = kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd/recurringjobs.longhorn.io"]);
        if (wait.status !== 0) throw new Error(wait.out);
        kubectl(["create", "namespace", "longhorn-system"]);
    });

    afterAll(() => {
        spawnSync("bash", [path.join(ROOT, "test", "e2e", "lib", "apiserver.sh"), "stop", api], { env });
        fs.rmSync(dir, { recursive: true, force: true });
    });

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

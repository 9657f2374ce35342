import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { helmFullname, resolveCatalogEntry } from "../../../plan/catalog/presets";
import { MINIO_BUCKET, minioPreset } from "../../../plan/catalog/minio";
import { loadConfig, secretsOf } from "../../../config/load";
import { type ConfigSource } from "../../../config/source";
import { buildPlan, planStack } from "../../../plan/plan";
import { imagePinProblem } from "../../../config/schema/common";
import { servicesSchema } from "../../../config/schema/services";
import { plainOccurrences, registeredResources, resetRegistry, unwrapSecrets } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;

const ROOT_USER = "minio-root-user-from-config";
const ROOT_PASSWORD = "minio-root-password-from-config-0123456789";
const MINIO = { name: "minio", preset: "minio", secretValues: { rootUser: "minioRootUser", rootPassword: "minioRootPassword" } };

/** The dev stack with the minio preset; its credentials as secret config; optionally backups to `endpoint`. */
function devSource(entry: Values = MINIO, endpoint?: string): ConfigSource {
    const { values } = stackValues("dev");
    // MinIO's images are frozen (plan/compat/images.ts): accepted, as an install that already runs them would.
    const services = { ...(values.services as Values), catalog: [entry], acceptUnmaintained: ["quay.io/minio/minio", "quay.io/minio/mc"] };
    // The docs' pattern: the backup target's credentials are MinIO's own root credentials, the same secret keys.
    const backups = endpoint ? { backups: { s3: { endpoint, bucket: MINIO_BUCKET, credentials: { accessKeyId: "minioRootUser", secretAccessKey: "minioRootPassword" } } } } : {};
    return stackSource("dev", { services, minioRootUser: ROOT_USER, minioRootPassword: ROOT_PASSWORD, ...backups }, { secretKeys: ["minioRootUser", "minioRootPassword"] });
}

const entry = () => servicesSchema.parse({ catalog: [MINIO] }).catalog[0];

describe("the minio catalog preset", () => {
    it("pins the chart charts.min.io publishes and the images it ships", () => {
        const r = resolveCatalogEntry(entry(), "longhorn");
        expect(r.chart).toEqual({ chart: "minio", repo: "https://charts.min.io/", version: "5.4.0" });
        const v = r.defaults as Values;
        expect(v.image).toEqual({ repository: "quay.io/minio/minio", tag: "RELEASE.2024-12-18T13-15-44Z" });
        expect(v.mcImage).toEqual({ repository: "quay.io/minio/mc", tag: "RELEASE.2024-11-21T17-21-54Z" });
        // Exact release timestamps, not semver: the program's own image rule would not call them pinned (the chart layer lists the exemption).
        expect(imagePinProblem(`${v.image.repository}:${v.image.tag}`)).toMatch(/not an exact version/);
    });

    it("runs one standalone server on a volume of the platform's class, with bounded resources", () => {
        const v = resolveCatalogEntry(entry(), "longhorn").defaults as Values;
        expect(v).toMatchObject({ mode: "standalone", replicas: 1, persistence: { enabled: true, size: "50Gi", storageClass: "longhorn" } });
        expect(v.resources).toEqual({ requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
    });

    it("is hardened: restricted namespace, non-root, no privileges, no default console user", () => {
        const r = resolveCatalogEntry(entry(), "local-path");
        expect(r.podSecurity).toBe("restricted");
        const v = r.defaults as Values;
        expect(v.securityContext).toMatchObject({ enabled: true, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(v.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(v.postJob.securityContext).toMatchObject({ enabled: true, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(v.makeBucketJob.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(v.users).toEqual([]);
        expect(v.rootUser).toBeUndefined();
        expect(v.rootPassword).toBeUndefined();
        expect(v.service.type).toBe("ClusterIP");
    });

    it("takes its root credentials from secret config only, into a Secret the chart reads, never through Helm values", async () => {
        resetRegistry();
        new Picluster("picluster", planStack(devSource()));
        const rs = await registeredResources();
        const release = rs.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "minio");
        expect(release?.inputs).toMatchObject({ chart: "minio", version: "5.4.0", namespace: "minio" });
        const values = unwrapSecrets(release?.inputs.values) as Values;
        expect(values.existingSecret).toBe("minio-root");
        expect(values.rootUser).toBeUndefined();
        expect(values.rootPassword).toBeUndefined();
        const secret = rs.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as Values).name === "minio-root");
        expect(secret?.inputs.metadata).toMatchObject({ namespace: "minio" });
        expect(unwrapSecrets(secret?.inputs.stringData)).toEqual({ rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD });
        const leaks = [ROOT_USER, ROOT_PASSWORD].flatMap((n) => rs.flatMap((r) => plainOccurrences(r.inputs, n).map((p) => `${r.type} ${r.name}.${p}`)));
        expect(leaks).toEqual([]);
    });

    it("is refused without rootUser and rootPassword from secret config, naming the entry and the fix, before any resource", async () => {
        resetRegistry();
        const { values } = stackValues("dev");
        const source = stackSource("dev", { services: { ...(values.services as Values), catalog: [{ name: "minio", preset: "minio" }] } });
        expect(() => buildPlan(loadConfig(source), secretsOf(source))).toThrow(
            /picluster:services\.catalog\[0\]\.secretValues = \{\}: the minio preset takes rootUser and rootPassword from secret config only; add rootUser: <configKey>, rootPassword: <configKey> and set each with `pulumi config set --secret/,
        );
        expect(await registeredResources()).toEqual([]);
    });

    it("names its Service as the chart does", () => {
        for (const release of ["minio", "backups", "my-minio"]) expect(minioPreset.service?.name(release)).toBe(helmFullname(release, "minio"));
    });

    it("counts its volume in the disk check", () => {
        const plan = planStack(devSource());
        expect(plan.demands.find((d) => d.name === "catalog/minio")?.storage).toBe("50Gi");
    });

    it.each(["http://minio.minio.svc.cluster.local:9000", "http://minio.minio:9000", "http://minio:9000"])("warns at preview that %s as the backup target is inside the cluster, so not a backup", (endpoint) => {
        const warnings = planStack(devSource(MINIO, endpoint)).warnings.join("\n");
        expect(warnings).toContain("the target is inside the cluster it protects");
        expect(warnings).toContain("this is not a backup. Point it at a workstation, a NAS or a cloud bucket");
    });

    it("does not warn about a MinIO on a NAS outside the cluster", () => {
        const warnings = planStack(devSource(MINIO, "https://nas.lan:9000")).warnings.join("\n");
        expect(warnings).not.toContain("inside the cluster");
    });
});

import { describe, expect, it } from "vitest";
import { endpointAuthority, s3Url } from "../../../plan/backups";
import { ConfigError, loadConfig, secretsOf } from "../../../config/load";
import { buildPlan } from "../../../plan/plan";
import { backupOverrides, S3_TARGET } from "../../helpers/backups";
import { stackSource } from "../../helpers/stacks";

function plan(overrides: Record<string, unknown>, secretKeys: string[] = []) {
    const source = stackSource("pi", overrides, { secretKeys });
    return buildPlan(loadConfig(source), secretsOf(source));
}

function problems(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

describe("backups.s3 in the plan", () => {
    it("plans no backups when backups.s3 is not set", () => {
        expect(plan({}).backups).toBeUndefined();
    });

    it("resolves the named credentials to secrets and defaults the folder to the stack", () => {
        const { overrides, secretKeys } = backupOverrides();
        const p = plan(overrides, secretKeys);
        expect(p.backups?.target.folder).toBe("picluster/pi");
        expect(p.platform.backups).toBe(p.backups);
        expect(s3Url(p.backups!, "postgres")).toBe("s3://picluster-backups/picluster/pi/postgres");
        expect(endpointAuthority(S3_TARGET.endpoint)).toBe("nas.example.org:9000");
    });

    it("refuses credentials stored in plain text, naming the key and the fix", () => {
        const { overrides } = backupOverrides();
        const found = problems(() => plan(overrides, ["backupAccessKeyId"]));
        expect(found).toHaveLength(1);
        expect(found[0]).toContain('picluster:backups.s3.credentials.secretAccessKey = "backupSecretAccessKey"');
        expect(found[0]).toContain("plain text");
        expect(found[0]).toContain("pulumi config set --secret");
    });

    it("refuses a credential pasted in place of a key name", () => {
        const { overrides, secretKeys } = backupOverrides({ ...S3_TARGET, credentials: { accessKeyId: "backupAccessKeyId", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY" } });
        const found = problems(() => plan(overrides, secretKeys));
        expect(found.some((p) => p.includes("backups.s3.credentials.secretAccessKey") && p.includes("NAME of a secret config key"))).toBe(true);
    });

    it("refuses a missing credential key and a bad schedule in one error", () => {
        const { overrides } = backupOverrides();
        const found = problems(() => plan({ ...overrides, backupSecretAccessKey: undefined, backups: { s3: S3_TARGET, postgres: { cron: "daily" } } }, ["backupAccessKeyId"]));
        expect(found.some((p) => p.includes("credentials.secretAccessKey") && p.includes("is set;"))).toBe(true);
        expect(found.some((p) => p.startsWith('picluster:backups.postgres.cron = "daily"'))).toBe(true);
    });

    it("does not call the named credential keys unknown", () => {
        const { overrides, secretKeys } = backupOverrides();
        expect(() => plan(overrides, secretKeys)).not.toThrow();
        // …while an unreferenced secret still is.
        const found = problems(() => plan({ ...overrides, strayKey: "x" }, secretKeys));
        expect(found.some((p) => p.includes("picluster:strayKey is not a picluster setting"))).toBe(true);
    });

    it("warns that a target inside the cluster it protects is not a backup", () => {
        const { overrides, secretKeys } = backupOverrides({ ...S3_TARGET, endpoint: "http://192.168.1.21:9000" });
        const p = plan(overrides, secretKeys);
        expect(p.warnings.some((w) => w.includes("inside the cluster it protects (node pi-1)") && w.includes("not a backup"))).toBe(true);
        expect(p.warnings.some((w) => w.includes("plain http"))).toBe(true);
    });

    it("refuses an endpoint with a path", () => {
        const { overrides, secretKeys } = backupOverrides({ ...S3_TARGET, endpoint: "https://nas/bucket" });
        expect(problems(() => plan(overrides, secretKeys)).some((p) => p.startsWith('picluster:backups.s3.endpoint = "https://nas/bucket"'))).toBe(true);
    });
});

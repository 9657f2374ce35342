import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { releaseArgs } from "../../../components/platform/helmService";
import { deepMerge, setPath } from "../../../plan/values";
import { ConfigError, loadConfig } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { servicesSchema } from "../../../config/schema/services";
import { isSecret, valueOf } from "../../helpers/mocks";

const cluster = { k3sVersion: "v1.33.5+k3s1", nodes: [{ name: "tower", host: "10.0.0.10", user: "pi", role: "server", arch: "amd64", sshKey: "towerKey" }] };

function problems(values: Record<string, unknown>): string[] {
    try {
        loadConfig(objectSource("test", { cluster, towerKey: "k", ...values }, ["towerKey"]));
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

describe("services and apps config", () => {
    it("accepts an empty services block with every default pinned", () => {
        expect(problems({})).toEqual([]);
    });

    it("places Ollama on amd64 unless the stack says otherwise", () => {
        expect(servicesSchema.parse({}).ollama.placement).toEqual({ arch: "amd64", nodeSelector: {} });
        expect(servicesSchema.parse({ ollama: { placement: { arch: "arm64" } } }).ollama.placement.arch).toBe("arm64");
    });

    it("refuses an unpinned chart version and names the key path", () => {
        expect(problems({ services: { ollama: { version: "^1.2.0" } } })).toEqual([expect.stringMatching(/^picluster:services\.ollama\.version = "\^1\.2\.0": must be an exact version/)]);
        expect(problems({ services: { catalog: [{ name: "x", chart: "x", repo: "https://e.example", version: "latest" }] } })).toEqual([
            expect.stringMatching(/^picluster:services\.catalog\[0\]\.version = "latest": must be an exact version/),
        ]);
    });

    it("refuses an unknown architecture and names the key path", () => {
        expect(problems({ services: { postgres: { placement: { arch: "x86_64" } } } })).toEqual([expect.stringMatching(/^picluster:services\.postgres\.placement\.arch = "x86_64": must be 'amd64'/)]);
        expect(problems({ apps: [{ name: "a", image: "a:1.0", port: 80, arch: "armhf" }] })).toEqual([expect.stringMatching(/^picluster:apps\[0\]\.arch = "armhf"/)]);
    });

    it("refuses bad quantities and names the key path", () => {
        const p = problems({ services: { monitoring: { prometheusResources: { requests: { memory: "2 gigs" } } }, rocketchat: { storage: { size: "big" } } } });
        expect(p).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^picluster:services\.monitoring\.prometheusResources\.requests\.memory = "2 gigs": must be a quantity/),
                expect.stringMatching(/^picluster:services\.rocketchat\.storage\.size = "big": must be a quantity/),
            ]),
        );
    });

    it("refuses a custom catalog chart without chart, repo and version, and typos", () => {
        const p = problems({ services: { catalog: [{ name: "thing" }], monitring: {} } });
        expect(p).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^picluster:services\.catalog\[0\]\.chart .*required when no preset/),
                expect.stringMatching(/^picluster:services\.catalog\[0\]\.version .*required when no preset/),
                expect.stringMatching(/^picluster:services .*monitring/),
            ]),
        );
    });

    it("refuses an unpinned app image and a root UID", () => {
        const p = problems({ apps: [{ name: "a", image: "nginx:latest", port: 80, runAsUser: 0 }] });
        expect(p).toEqual(
            expect.arrayContaining([expect.stringMatching(/^picluster:apps\[0\]\.image = "nginx:latest": uses the floating tag/), expect.stringMatching(/^picluster:apps\[0\]\.runAsUser = 0: must not be 0/)]),
        );
    });
});

describe("Helm-service values", () => {
    it("deep-merges overrides over defaults: objects merge, arrays and scalars replace, inputs untouched", () => {
        const base = { a: { b: 1, c: [1, 2] }, d: "x" };
        const merged = deepMerge(base, { a: { c: [3] }, e: true });
        expect(merged).toEqual({ a: { b: 1, c: [3] }, d: "x", e: true });
        expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: "x" });
    });

    it("keeps a secret Output a leaf instead of merging into it", async () => {
        const secret = pulumi.secret("s");
        const merged = deepMerge({ auth: { password: "plain-default" } }, { auth: { password: secret } });
        expect((merged.auth as Record<string, unknown>).password).toBe(secret);
        expect(setPath({}, "a.b.c", 1)).toEqual({ a: { b: { c: 1 } } });
    });

    it("builds a pinned release that Helm neither waits for nor rolls back (its ReleaseReadiness waits), and secret values set last", async () => {
        const ra = releaseArgs({
            namespace: { name: "ns", resource: undefined as never },
            releaseName: "r",
            chart: { chart: "c", repo: "https://charts.example.com", version: "1.2.3" },
            defaults: { auth: { password: "from-defaults" } },
            overrides: { replicas: 2 },
            secretValues: { "auth.password": pulumi.output("from-config") },
            timeoutSeconds: 300,
            skipAwait: false,
        });
        expect(ra).toMatchObject({ name: "r", namespace: "ns", chart: "c", version: "1.2.3", repositoryOpts: { repo: "https://charts.example.com" }, atomic: false, timeout: 300, skipAwait: true });
        const pw = ((ra.values as Record<string, any>).auth.password) as pulumi.Output<string>;
        expect(await isSecret(pw)).toBe(true);
        expect(await valueOf(pw)).toBe("from-config");
        expect((ra.values as Record<string, unknown>).replicas).toBe(2);
    });
});

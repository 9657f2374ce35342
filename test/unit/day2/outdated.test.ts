import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { loadConfig, secretsOf } from "../../../config/load";
import { buildPlan } from "../../../plan/plan";
import { blocking, fillOffline, fillOnline, formatTable, k3sSupport, pinRows, type PinRow } from "../../../scripts/lib/outdated";
import { OnlineSources, registryOf, type FetchLike } from "../../../scripts/lib/outdatedSources";
import { compareReleases, newestReleases, newestTags, parseRelease } from "../../../scripts/lib/outdatedVersions";
import { stackSource, stackValues } from "../../helpers/stacks";

const cmp = (a: string, b: string) => Math.sign(compareReleases(parseRelease(a)!, parseRelease(b)!));

describe("outdated: version order", () => {
    it("orders k3s releases by their +k3sN build: a re-spin is a newer release, not the same one", () => {
        expect(cmp("v1.33.5+k3s1", "v1.33.5+k3s2")).toBe(-1);
        expect(cmp("v1.33.5+k3s2", "v1.33.6+k3s1")).toBe(-1);
        expect(cmp("v1.33.5+k3s1", "v1.33.5+k3s1")).toBe(0);
        expect(newestReleases("v1.33.5+k3s1", ["v1.33.5+k3s1", "v1.33.5+k3s2", "v1.34.1+k3s1", "v1.33.4+k3s3"])).toEqual({ newest: "v1.34.1+k3s1", sameMinor: "v1.33.5+k3s2" });
    });

    it("puts pre-releases before their release, comparing numeric identifiers as numbers", () => {
        expect(cmp("v1.34.0-rc1+k3s1", "v1.34.0+k3s1")).toBe(-1);
        expect(cmp("1.0.0-rc.9", "1.0.0-rc.10")).toBe(-1);
        expect(cmp("1.0.0-alpha", "1.0.0-alpha.1")).toBe(-1);
        expect(cmp("1.0.0-alpha.beta", "1.0.0-beta")).toBe(-1);
        expect(cmp("1.0.0-beta.11", "1.0.0-rc.1")).toBe(-1);
        expect(cmp("1.0.0-1", "1.0.0-alpha")).toBe(-1);
        expect(cmp("0.10.0", "0.9.9")).toBe(1);
        // Build metadata other than k3s's does not order releases (semver).
        expect(cmp("1.2.3+build.5", "1.2.3+build.7")).toBe(0);
    });

    it("never offers a pre-release as the newest release", () => {
        expect(newestReleases("0.29.0", ["0.29.0", "0.30.0-rc.1", "0.29.2", "v1.0.0-beta.1"])).toEqual({ newest: "0.29.2", sameMinor: "0.29.2" });
        expect(newestReleases("v1.34.1+k3s1", ["v1.35.0-rc2+k3s1", "v1.34.2+k3s1"])).toEqual({ newest: "v1.34.2+k3s1", sameMinor: "v1.34.2+k3s1" });
    });

    it("compares container tags only with tags of the same variant", () => {
        const tags = ["7.4.9-alpine", "7.4.10-alpine", "8.2.1-alpine", "8.2.1", "7.4.11", "7.4-alpine", "latest", "v7.4.12-alpine"];
        expect(newestTags("7.4.9-alpine", tags)).toEqual({ newest: "8.2.1-alpine", sameMinor: "7.4.10-alpine" });
        expect(newestTags("v1.2.3", ["v1.2.4", "1.9.9", "v1.10.0"])).toEqual({ newest: "v1.10.0", sameMinor: "v1.2.4" });
        expect(newestTags("RELEASE.2024-12-18T13-15-44Z", ["RELEASE.2025-09-07T16-13-09Z", "RELEASE.2024-11-21T17-21-54Z", "latest"])).toEqual({ newest: "RELEASE.2025-09-07T16-13-09Z" });
    });
});

/** The dev stack with the minio preset, whose frozen images the stack accepts (as an install that already runs them would). */
function devWithMinio() {
    const { values } = stackValues("dev");
    const services = {
        ...(values.services as Record<string, unknown>),
        catalog: [{ name: "minio", preset: "minio", secretValues: { rootUser: "minioRootUser", rootPassword: "minioRootPassword" } }],
        acceptUnmaintained: ["quay.io/minio/minio", "quay.io/minio/mc"],
    };
    const source = stackSource("dev", { services, minioRootUser: "u", minioRootPassword: "p-0123456789abcdef" }, { secretKeys: ["minioRootUser", "minioRootPassword"] });
    return buildPlan(loadConfig(source), secretsOf(source));
}

const cache = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-outdated-"));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));
function index(slug: string, entries: Record<string, string[]>): void {
    fs.mkdirSync(path.join(cache, slug), { recursive: true });
    const yaml = { apiVersion: "v1", entries: Object.fromEntries(Object.entries(entries).map(([chart, vs]) => [chart, vs.map((version) => ({ name: chart, version }))])) };
    fs.writeFileSync(path.join(cache, slug, "index.yaml"), YAML.stringify(yaml));
}

describe("outdated: the offline table", () => {
    index("cloudnative-pg.github.io_charts", { "cloudnative-pg": ["0.29.0", "0.29.2", "0.30.1", "0.31.0-rc.1"], cluster: ["0.8.1"] });
    index("charts.min.io", { other: ["1.0.0"] });
    const plan = devWithMinio();
    const rows = fillOffline(pinRows(plan), cache);
    const row = (name: string) => rows.find((r) => r.name === name) as PinRow;

    it("lists k3s, the installer, every chart with the key that pins it and every image the plan runs", () => {
        expect(row("k3s")).toMatchObject({ kind: "k3s", at: "cluster.k3sVersion", current: plan.config.cluster.k3sVersion });
        expect(row("k3s install.sh").current).toMatch(/^[0-9a-f]{40}$/);
        for (const c of plan.platform.charts) expect(rows.find((r) => r.kind === "chart" && r.name === c.chart)?.at).toBe(c.at);
        expect(row("redis")).toMatchObject({ kind: "image", at: "agentHost.redis.image" });
        expect(row("quay.io/minio/minio")).toMatchObject({ current: "RELEASE.2024-12-18T13-15-44Z", at: "services.catalog[0] (preset minio)" });
    });

    it("reads chart releases from the cached index: newest, newest of the same minor; says when the cache has none", () => {
        expect(row("cloudnative-pg")).toMatchObject({ current: "0.29.0", newest: "0.30.1", sameMinor: "0.29.2" });
        expect(row("cluster")).toMatchObject({ newest: "0.8.1", sameMinor: "0.8.1" });
        expect(row("minio").newest).toBe("unknown (the cached index lists no minio)");
        const uncached = rows.filter((r) => r.kind === "chart" && !["cloudnative-pg", "cluster", "minio"].includes(r.name));
        for (const r of uncached) expect(r.newest).toBe("unknown (no cached index: npm run charts)");
    });

    it("says unknown (offline) for images, k3s and the installer, and never guesses", () => {
        for (const r of rows.filter((x) => x.kind !== "chart")) expect(r.newest).toBe("unknown (offline)");
    });

    it("marks frozen images from the support table, and only those block", () => {
        expect(row("quay.io/minio/minio")).toMatchObject({ status: "frozen", support: "frozen since 2025-10-15" });
        expect(rows.filter(blocking).map((r) => r.name).sort()).toEqual(["quay.io/minio/mc", "quay.io/minio/minio"]);
        const table = formatTable("dev", rows, "offline").split("\n");
        expect(table[0]).toMatch(/^dev: \d+ pins \(offline: .*\); 2 frozen or past end of life \(!\)$/);
        expect(table[1]).toMatch(/^KIND +NAME +CURRENT +NEWEST +SAME MINOR +SUPPORT +PINNED BY$/);
        expect(table.find((l) => l.includes("quay.io/minio/mc"))).toMatch(/frozen since 2025-10-15 !/);
        expect(table).toHaveLength(rows.length + 2);
    });
});

/** A fake network: URL → [status, body, headers]; anything else fails as a DNS error would. */
function fakeFetch(routes: Record<string, [number, string, Record<string, string>?]>, seen: string[] = []): FetchLike {
    return async (url, init) => {
        seen.push(`${url}${init.headers?.authorization ? " (token)" : ""}`);
        const r = routes[url];
        if (!r) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } });
        if (url.includes("/v2/") && r[0] === 200 && !init.headers?.authorization) return { ok: false, status: 401, headers: new Headers({ "www-authenticate": 'Bearer realm="https://auth.example/token",service="reg",scope="repository:library/redis:pull"' }), text: async () => "" };
        return { ok: r[0] < 300, status: r[0], headers: new Headers(r[2] ?? {}), text: async () => r[1] };
    };
}

describe("outdated: online", () => {
    it("maps image names to their registry as Docker does", () => {
        expect(registryOf("redis")).toEqual({ host: "registry-1.docker.io", path: "library/redis" });
        expect(registryOf("amazon/aws-cli")).toEqual({ host: "registry-1.docker.io", path: "amazon/aws-cli" });
        expect(registryOf("docker.io/rabbitmq")).toEqual({ host: "registry-1.docker.io", path: "rabbitmq" });
        expect(registryOf("registry.lan:5000/a/b")).toEqual({ host: "registry.lan:5000", path: "a/b" });
    });

    it("asks each source once, follows the registry's token and pages, and reports the unreachable ones as such", async () => {
        const seen: string[] = [];
        const sources = new OnlineSources(
            fakeFetch(
                {
                    "https://helm.example/index.yaml": [200, YAML.stringify({ entries: { app: [{ version: "1.2.3" }, { version: "1.3.0" }, { version: "1.2.9" }] } })],
                    "https://auth.example/token?service=reg&scope=repository%3Alibrary%2Fredis%3Apull": [200, JSON.stringify({ token: "t" })],
                    "https://registry-1.docker.io/v2/library/redis/tags/list?n=1000": [200, JSON.stringify({ tags: ["7.4.9-alpine"] }), { link: '</v2/library/redis/tags/list?last=7.4.9-alpine&n=1000>; rel="next"' }],
                    "https://registry-1.docker.io/v2/library/redis/tags/list?last=7.4.9-alpine&n=1000": [200, JSON.stringify({ tags: ["7.4.10-alpine", "8.2.1-alpine"] })],
                    "https://api.github.com/repos/k3s-io/k3s/releases?per_page=100": [200, JSON.stringify(["v1.35.1+k3s1", "v1.34.3+k3s1", "v1.33.6+k3s1", "v1.33.5+k3s2", "v1.36.0-rc1+k3s1"].map((t) => ({ tag_name: t, prerelease: t.includes("-rc"), draft: false })))],
                    "https://gone.example/index.yaml": [404, "not found"],
                },
                seen,
            ),
            1000,
        );
        const base = { newest: "", sameMinor: "", support: "—", status: "unknown" as const };
        const rows: PinRow[] = [
            { kind: "chart", name: "app", at: "a", current: "1.2.3", repo: "https://helm.example/", ...base },
            { kind: "chart", name: "app2", at: "b", current: "1.0.0", repo: "https://helm.example", ...base },
            { kind: "chart", name: "x", at: "c", current: "1.0.0", repo: "https://gone.example", ...base },
            { kind: "image", name: "redis", at: "d", current: "7.4.9-alpine", repo: "redis", ...base },
            { kind: "image", name: "registry.lan/a", at: "e", current: "1.0.0", repo: "registry.lan/a", ...base },
            { kind: "k3s", name: "k3s", at: "f", current: "v1.33.5+k3s1", ...base },
        ];
        const out = await fillOnline(rows, sources);
        expect(out.map((r) => [r.name, r.newest, r.sameMinor])).toEqual([
            ["app", "1.3.0", "1.2.9"],
            ["app2", "unreachable: https://helm.example/index.yaml: lists no chart named app2", "—"],
            ["x", "unreachable: https://gone.example/index.yaml: HTTP 404", "—"],
            ["redis", "8.2.1-alpine", "7.4.10-alpine"],
            ["registry.lan/a", "unreachable: https://registry.lan/v2/a/tags/list: ENOTFOUND", "—"],
            ["k3s", "v1.35.1+k3s1", "v1.33.6+k3s1"],
        ]);
        expect(out[5]).toMatchObject({ status: "maintained", support: "maintained (1.33-1.35)" });
        expect(seen.filter((u) => u.startsWith("https://helm.example/"))).toHaveLength(1);
        expect(seen).toContain("https://registry-1.docker.io/v2/library/redis/tags/list?last=7.4.9-alpine&n=1000 (token)");
    });

    it("gives up on a source that does not answer within its timeout", async () => {
        const hang: FetchLike = (_url, init) => new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
        const [row] = await fillOnline([{ kind: "k3s", name: "k3s", at: "x", current: "v1.33.5+k3s1", newest: "", sameMinor: "", support: "—", status: "unknown" }], new OnlineSources(hang, 50));
        expect(row.newest).toBe("unreachable: https://api.github.com/repos/k3s-io/k3s/releases?per_page=100: no answer within the timeout");
        expect(row.status).toBe("unknown");
    });

    it("tells whether the pinned installer already has install.sh's newest change", async () => {
        const api = "https://api.github.com/repos/k3s-io/k3s";
        const last = (sha: string) => [200, JSON.stringify([{ sha, commit: { committer: { date: "2026-05-02T10:00:00Z" } } }])] as [number, string];
        const row = (current: string): PinRow => ({ kind: "installer", name: "k3s install.sh", at: "x", current, newest: "", sameMinor: "", support: "—", status: "unknown" });
        const ahead = new OnlineSources(fakeFetch({ [`${api}/commits?path=install.sh&per_page=1`]: last("aaa"), [`${api}/compare/aaa...bbb`]: [200, '{"status":"ahead"}'] }));
        expect((await fillOnline([row("bbb")], ahead))[0].newest).toBe("bbb");
        const behind = new OnlineSources(fakeFetch({ [`${api}/commits?path=install.sh&per_page=1`]: last("ccc"), [`${api}/compare/ccc...bbb`]: [200, '{"status":"behind"}'] }));
        expect((await fillOnline([row("bbb")], behind))[0].newest).toBe("ccc (install.sh changed 2026-05-02)");
    });

    it("calls a k3s minor past the newest three out of support", () => {
        expect(k3sSupport("v1.32.9+k3s1", ["v1.35.0+k3s1", "v1.34.2+k3s1", "v1.33.6+k3s1"])).toEqual({ status: "eol", support: "eol (maintained: 1.33-1.35)" });
    });
});

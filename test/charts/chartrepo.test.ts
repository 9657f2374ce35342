import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { cacheDir } from "../../scripts/charts/cache";
import { serviceCharts } from "../e2e/harness";
import { prerequisites, ROOT } from "./layer";

const SCRIPT = path.join(ROOT, "test", "e2e", "lib", "chartrepo.sh");
let dir: string;

beforeAll(() => {
    prerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-chartrepo-"));
});

afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the e2e chart repository with upstream charts (chartrepo.sh upstream)", () => {
    it("serves the packaged upstream chart of every service at its pinned version", () => {
        const r = spawnSync("bash", [SCRIPT, "upstream", path.join(dir, "ok"), cacheDir(), ...serviceCharts()], { encoding: "utf8" });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const index = YAML.parse(fs.readFileSync(path.join(dir, "ok", "repo", "index.yaml"), "utf8")) as { entries: Record<string, { version: string; urls: string[] }[]> };
        for (const spec of serviceCharts()) {
            const [name, version] = spec.split("@");
            expect(index.entries[name]?.map((e) => e.version), spec).toEqual([version]);
            // byte for byte the cached package, dependencies inside
            const served = fs.readFileSync(path.join(dir, "ok", "repo", index.entries[name][0].urls[0]));
            const cached = fs.readdirSync(cacheDir()).map((slug) => path.join(cacheDir(), slug, `${name}-${version}.tgz`)).find((f) => fs.existsSync(f));
            expect(cached, spec).toBeDefined();
            expect(served.equals(fs.readFileSync(cached!)), spec).toBe(true);
        }
    });

    it("fails on a pinned version that was never published, even with a package of that name at hand", () => {
        // a cache whose headlamp repository holds a 0.33.1 package its index does not list
        const cache = path.join(dir, "cache");
        const slug = fs.readdirSync(cacheDir()).find((d) => fs.existsSync(path.join(cacheDir(), d, "headlamp-0.33.0.tgz")))!;
        fs.mkdirSync(path.join(cache, slug), { recursive: true });
        fs.copyFileSync(path.join(cacheDir(), slug, "index.yaml"), path.join(cache, slug, "index.yaml"));
        fs.copyFileSync(path.join(cacheDir(), slug, "headlamp-0.33.0.tgz"), path.join(cache, slug, "headlamp-0.33.1.tgz"));
        const r = spawnSync("bash", [SCRIPT, "upstream", path.join(dir, "bad"), cache, "headlamp@0.33.1"], { encoding: "utf8" });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/headlamp 0\.33\.1: not a published upstream chart in the chart cache/);
    });
});

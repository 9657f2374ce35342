import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chartCacheProblem } from "../../e2e/chartSteps";

const SCRIPT = path.resolve(__dirname, "..", "..", "e2e", "lib", "chartrepo.sh");

/** A chart cache as `npm run charts` lays it out: one repository indexing demo 1.0.0 and 1.1.0, only 1.0.0 packaged. */
function fakeCache(dir: string): void {
    const repo = path.join(dir, "charts.example.org");
    fs.mkdirSync(repo, { recursive: true });
    const entry = (v: string) => `  - apiVersion: v2\n    name: demo\n    version: ${v}\n    urls:\n    - demo-${v}.tgz\n`;
    fs.writeFileSync(path.join(repo, "index.yaml"), `apiVersion: v1\nentries:\n  demo:\n${entry("1.1.0")}${entry("1.0.0")}generated: "1970-01-01T00:00:00Z"\n`);
    fs.writeFileSync(path.join(repo, "demo-1.0.0.tgz"), "not read by check");
}

let dir: string;
let saved: string | undefined;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-chartcache-"));
    fakeCache(dir);
    saved = process.env.PICLUSTER_CHARTS_DIR;
    process.env.PICLUSTER_CHARTS_DIR = dir;
});
afterEach(() => {
    if (saved === undefined) delete process.env.PICLUSTER_CHARTS_DIR;
    else process.env.PICLUSTER_CHARTS_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
});

const check = (...specs: string[]) => spawnSync("bash", [SCRIPT, "check", dir, ...specs], { encoding: "utf8" });

describe("the e2e suite's chart cache check (chartrepo.sh check)", () => {
    it("passes when every pinned chart is packaged in the cache", () => {
        const r = check("demo@1.0.0");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(chartCacheProblem(["demo@1.0.0"])).toBeUndefined();
    });

    it("fails a pinned version that does not exist upstream, naming it", () => {
        const r = check("demo@1.0.0", "demo@9.9.9");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/demo 9\.9\.9: not a published upstream chart/);
        expect(chartCacheProblem(["demo@9.9.9"])).toMatch(/^a pinned chart version does not exist upstream:\ndemo 9\.9\.9: not a published upstream chart/);
    });

    it("says the cache is not filled when a published version has no package there (the suite is skipped, not passed)", () => {
        const r = check("demo@1.1.0");
        expect(r.status).toBe(3);
        expect(r.stderr).toMatch(/demo 1\.1\.0: published .* but its package is not in the chart cache .*npm run charts/);
        expect(chartCacheProblem(["demo@1.1.0"])).toMatch(/^the chart cache lacks a pinned chart/);
    });

    it("says the cache is not filled when no cached repository indexes the chart", () => {
        const r = check("other@1.0.0");
        expect(r.status).toBe(3);
        expect(r.stderr).toMatch(/other 1\.0\.0: no repository in the chart cache .* indexes the other chart/);
    });

    it("reports a never-published version over a missing package", () => {
        expect(check("demo@1.1.0", "demo@9.9.9").status).toBe(1);
        expect(check("demo@9.9.9", "demo@1.1.0").status).toBe(1);
    });

    it("refuses an argument that is not NAME@VERSION", () => {
        const r = check("demo");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/'demo' is not NAME@VERSION/);
    });
});

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { cachedChartVersions, repoSlug } from "../../../config/chartIndex";
import { chartVersionProblems, newestVersion } from "../../../plan/charts";

/** A chart cache with one repository's index. */
function cacheWith(repo: string, entries: Record<string, string[]>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "charts-"));
    fs.mkdirSync(path.join(dir, repoSlug(repo)));
    const yaml = ["apiVersion: v1", "entries:", ...Object.entries(entries).flatMap(([chart, vs]) => [`  ${chart}:`, ...vs.map((v) => `    - version: "${v}"`)])].join("\n");
    fs.writeFileSync(path.join(dir, repoSlug(repo), "index.yaml"), yaml + "\n");
    return dir;
}

const REPO = "https://prometheus-community.github.io/helm-charts/";

describe("chart versions checked at preview against the repository index", () => {
    const dir = cacheWith(REPO, { "kube-prometheus-stack": ["79.0.0", "80.1.0", "81.0.0-rc.1", "80.2.0"] });
    const versionsOf = (repo: string, chart: string) => cachedChartVersions(repo, chart, dir);
    const pin = (version: string) => ({ chart: "kube-prometheus-stack", repo: REPO, version, at: "services.monitoring.version" });

    it("passes a version the index lists", () => {
        expect(chartVersionProblems([pin("80.1.0")], versionsOf)).toEqual({ problems: [], warnings: [] });
    });

    it("refuses a version never released, naming the key and the newest release (not a pre-release)", () => {
        const { problems } = chartVersionProblems([pin("80.9.9")], versionsOf);
        expect(problems).toEqual([`picluster:services.monitoring.version = "80.9.9": ${REPO} never released kube-prometheus-stack 80.9.9; the newest release is 80.2.0 (pin one the index lists)`]);
    });

    it("refuses a chart the repository does not have", () => {
        const { problems } = chartVersionProblems([{ ...pin("1.0.0"), chart: "kube-prometheus" }], versionsOf);
        expect(problems[0]).toMatch(/has no chart named kube-prometheus/);
    });

    it("warns once per repository whose index is not cached, and does not call that a pass", () => {
        const other = { chart: "ollama", repo: "https://helm.otwld.com/", version: "1.0.0", at: "services.ollama.version" };
        const { problems, warnings } = chartVersionProblems([other, { ...other, chart: "ollama2" }], versionsOf);
        expect(problems).toEqual([]);
        expect(warnings).toEqual([expect.stringMatching(/^chart versions from https:\/\/helm\.otwld\.com\/ are not checked: its index is not in the chart cache/)]);
    });

    it("picks the newest release by semver, not by text", () => {
        expect(newestVersion(["9.0.0", "10.0.0", "10.1.0-rc.1"])).toBe("10.0.0");
        expect(newestVersion(["1.0.0-rc.1", "1.0.0-rc.2"])).toBe("1.0.0-rc.2");
    });
});

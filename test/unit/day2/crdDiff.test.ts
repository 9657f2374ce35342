import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { chartTgz } from "../../../scripts/charts/cache";
import { crdLines } from "../../../scripts/charts/crds";
import type { Release } from "../../../scripts/charts/releases";

const cache = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-crd-cache-"));
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));
const REPO = "https://charts.example";
const CRD = (name: string, v: string) => `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\nspec:\n  versions: [{ name: ${v} }]\n`;

/** Packages a chart directory (files relative to it) as the cache holds it. */
function pack(chart: string, version: string, files: Record<string, string>): Release {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-crd-chart-"));
    for (const [f, text] of Object.entries({ "Chart.yaml": `name: ${chart}\nversion: ${version}\n`, ...files })) {
        fs.mkdirSync(path.dirname(path.join(work, chart, f)), { recursive: true });
        fs.writeFileSync(path.join(work, chart, f), text);
    }
    const release: Release = { name: "mon", namespace: "monitoring", chart, repo: REPO, version, values: {} };
    fs.mkdirSync(path.dirname(chartTgz(release, cache)), { recursive: true });
    execFileSync("tar", ["-czf", chartTgz(release, cache), "-C", work, chart]);
    fs.rmSync(work, { recursive: true, force: true });
    return release;
}

describe("npm run diff: CRDs of a chart bump", () => {
    const deploy = { "templates/deployment.yaml": "kind: Deployment\n" };
    const v1 = pack("stack", "1.0.0", { ...deploy, "crds/alerts.yaml": CRD("alerts.example.io", "v1"), "charts/sub/crds/rules.yaml": CRD("rules.example.io", "v1"), "templates/crd-pools.yaml": CRD("pools.example.io", "v1") });
    const v2 = pack("stack", "2.0.0", { ...deploy, "crds/alerts.yaml": CRD("alerts.example.io", "v2"), "charts/sub/crds/rules.yaml": CRD("rules.example.io", "v1"), "crds/probes.yaml": CRD("probes.example.io", "v1") });
    const v3 = pack("stack", "2.0.1", { ...deploy, "crds/alerts.yaml": CRD("alerts.example.io", "v2"), "charts/sub/crds/rules.yaml": CRD("rules.example.io", "v1"), "crds/probes.yaml": CRD("probes.example.io", "v1"), "templates/deployment.yaml": "kind: Deployment\nspec: {}\n" });

    it("says which CRD files change, are added or removed, and that Helm does not upgrade crds/", () => {
        expect(crdLines([v1], [v2], cache)).toEqual([
            'CRDs change with mon: stack 1.0.0 → 2.0.0: 1 changed (alerts.yaml); 1 added (probes.yaml); 1 removed (crd-pools.yaml); Helm does not upgrade crds/: apply them before `pulumi up` (docs/operations.md, "Bump a pin")',
        ]);
    });

    it("says nothing when the version is the same or only templates other than CRDs change", () => {
        expect(crdLines([v2], [v2], cache)).toEqual([]);
        expect(crdLines([v2], [v3], cache)).toEqual([]);
    });

    it("says when a version is not in the chart cache, rather than nothing", () => {
        const absent = { ...v2, version: "9.9.9" };
        expect(crdLines([v1], [absent], cache)).toEqual(["CRDs of mon: stack 1.0.0 → 9.9.9 not compared: stack 9.9.9 not in the chart cache (npm run charts)"]);
    });
});

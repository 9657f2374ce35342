import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { DEFAULT_INSTALLER } from "../../config/schema/cluster";
import { servicesSchema } from "../../config/schema/services";
import { catalogPresets } from "../../plan/catalog/presets";
import { SERVICE_PLANNERS } from "../../plan/services";
import { codePins, extractAll, regexExtract, repoFiles, stackPins, unfound, type Dep, type Pin, type RenovateConfig } from "../helpers/renovate";

const ROOT = path.join(__dirname, "..", "..");
const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as RenovateConfig;
const files = repoFiles(ROOT);
const deps = extractAll(config, files);
const describePins = (pins: Pin[]) => pins.map((p) => `${p.file}: ${p.what}`);
const rule = (pred: (r: Record<string, unknown>) => boolean) => config.packageRules.filter(pred);
const names = (r: Record<string, unknown>) => (r.matchPackageNames as string[] | undefined) ?? [];

/** A chart pinned by the schema's defaults or a preset: found with its name, repository and version. */
function findsChart(d: Dep, c: { chart: string; repo: string; version: string }): boolean {
    if (d.currentValue !== c.version) return false;
    if (c.repo.startsWith("oci://")) return d.datasource === "docker" && d.packageName === `${c.repo.slice("oci://".length).replace(/\/+$/, "")}/${c.chart}`;
    return d.datasource === "helm" && d.depName === c.chart && d.registryUrl?.replace(/\/+$/, "") === c.repo.replace(/\/+$/, "");
}

describe("renovate.json", () => {
    it("uses only patterns Renovate's RE2 engine runs (no lookaround, no backreference)", () => {
        for (const m of config.customManagers) {
            for (const p of [...m.matchStrings, ...m.managerFilePatterns]) expect(p, p).not.toMatch(/\(\?<?[=!]|\\[1-9]/);
        }
    });

    it("finds k3s in every stack file, versioned with its +k3sN build and -rcN pre-releases", () => {
        const k3s = deps.filter((d) => d.depName === "k3s-io/k3s");
        const stacks = [...files.keys()].filter((f) => /^Pulumi\.[^/]+\.yaml$/.test(f));
        expect(stacks.length).toBeGreaterThanOrEqual(2);
        for (const f of stacks) expect(k3s.filter((d) => d.file === f), f).toHaveLength(1);
        const versioning = new RegExp((k3s[0].versioning as string).replace(/^regex:/, ""));
        expect(versioning.exec("v1.33.5+k3s2")?.groups).toMatchObject({ major: "1", minor: "33", patch: "5", build: "2" });
        expect(versioning.exec("v1.34.0-rc1+k3s1")?.groups?.prerelease).toBe("-rc1");
        expect(k3s[0].datasource).toBe("github-releases");
    });

    it("finds every chart the services' defaults and the catalog presets pin, with its repository", () => {
        const services = servicesSchema.parse({});
        const charts = [
            ...SERVICE_PLANNERS.flatMap((p) => p.charts(services[p.key] as never)),
            ...Object.values(catalogPresets).map(({ chart, repo, version }) => ({ chart, repo, version })),
        ];
        expect(charts.length).toBeGreaterThanOrEqual(12);
        const missing = charts.filter((c) => !deps.some((d) => findsChart(d, c)));
        expect(missing.map((c) => `${c.chart} ${c.version} (${c.repo})`)).toEqual([]);
    });

    it("finds every version, image and tool pinned in code, scripts and stack files", () => {
        const pins = [...codePins(files), ...stackPins(files)];
        expect(pins.length).toBeGreaterThan(40);
        expect(describePins(unfound(deps, pins))).toEqual([]);
    });

    it("finds the installer's commit in config/schema/cluster.ts", () => {
        const commit = /\/k3s-io\/k3s\/([0-9a-f]{40})\/install\.sh$/.exec(DEFAULT_INSTALLER.url)?.[1];
        const dep = deps.find((d) => d.file === "config/schema/cluster.ts" && d.currentDigest === commit);
        expect(dep).toMatchObject({ datasource: "git-refs", packageName: "https://github.com/k3s-io/k3s", currentValue: "master" });
    });

    it("finds the Pulumi CLI version of every workflow step that sets one", () => {
        const dir = path.join(ROOT, ".github", "workflows");
        for (const f of fs.readdirSync(dir)) {
            const wf = YAML.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { jobs: Record<string, { steps?: { with?: Record<string, unknown> }[] }> };
            const set = Object.values(wf.jobs).flatMap((j) => j.steps ?? []).filter((s) => s.with?.["pulumi-version"] !== undefined);
            expect(deps.filter((d) => d.file === `.github/workflows/${f}` && d.depName === "pulumi"), f).toHaveLength(set.length);
        }
    });

    it("fails on a pin added without a matching manager", () => {
        const added = new Map([
            ["components/platform/busybox.ts", 'const SIDE_CAR = "busybox:1.37.0";\n'],
            ["plan/catalog/extra.ts", 'export const EXTRA = { chart: "extra", namespace: "x", version: "1.2.3" };\n'],
            ["config/schema/extra.ts", 'export const EXTRA_VERSION = "2.0.1";\n'],
            ["scripts/extra.sh", "YQ_VERSION=4.44.3\n"],
            ["Pulumi.lab.yaml", "config:\n  picluster:apps:\n    - { name: a, image: ghcr.io/me/a:1.0.0 }\n  picluster:services:\n    catalog:\n      - { name: x, values: { sidecar: busybox:1.36.1 } }\n"],
        ]);
        const pins = [...codePins(added), ...stackPins(added)];
        expect(describePins(unfound(extractAll(config, added), pins))).toEqual([
            "components/platform/busybox.ts: image busybox:1.37.0",
            "plan/catalog/extra.ts: version literal version: \"1.2.3\"",
            "config/schema/extra.ts: constant EXTRA_VERSION",
            "scripts/extra.sh: shell YQ_VERSION",
            "Pulumi.lab.yaml: image busybox:1.36.1 at picluster:services.catalog.0.values.sidecar",
        ]);
    });

    it("reads the forms a stack file pins in: a catalog entry's chart, a service's version under a renovate comment, image values", () => {
        const stack = [
            "config:",
            "  picluster:cluster:",
            '    k3sVersion: "v1.34.2+k3s1"',
            "  picluster:services:",
            "    monitoring:",
            "      # renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts",
            "      version: 89.0.0",
            "      values: { grafana: { image: { repository: grafana/grafana, tag: 12.3.0 } } }",
            "    catalog:",
            "      - { name: qdrant, chart: qdrant, repo: https://qdrant.github.io/qdrant-helm, version: 1.16.0 }",
            "      - name: valkey",
            "        chart: valkey",
            "        version: 0.9.0",
            "        repo: oci://registry-1.docker.io/cloudpirates",
        ].join("\n");
        const found = extractAll(config, new Map([["Pulumi.lab.yaml", stack]])).map((d) => `${d.depName ?? ""}|${d.packageName ?? ""}|${d.currentValue}|${d.datasource}|${d.registryUrl ?? ""}`);
        expect(found.sort()).toEqual(
            [
                "k3s-io/k3s||v1.34.2+k3s1|github-releases|",
                "kube-prometheus-stack||89.0.0|helm|https://prometheus-community.github.io/helm-charts",
                "qdrant||1.16.0|helm|https://qdrant.github.io/qdrant-helm",
                "valkey|registry-1.docker.io/cloudpirates/valkey|0.9.0|docker|",
                "grafana/grafana||12.3.0|docker|",
            ].sort(),
        );
    });

    it("reads a renovate comment in code and in shell scripts", () => {
        const ts = regexExtract(config.customManagers[3], "x.ts", '// renovate: datasource=docker depName=mongo\nexport const MONGO_VERSION = "8.0.26";\n');
        expect(ts).toMatchObject([{ depName: "mongo", datasource: "docker", currentValue: "8.0.26" }]);
        const sh = regexExtract(config.customManagers[4], "x.sh", "# renovate: datasource=github-releases depName=helm/helm extractVersion=^v(?<version>.+)$\nHELM_VERSION=3.20.2   # note\n");
        expect(sh).toMatchObject([{ depName: "helm/helm", currentValue: "3.20.2", extractVersion: "^v(?<version>.+)$" }]);
    });

    it("proposes a few pull requests a week: weekly, grouped, k3s alone one minor at a time, majors on request, stack files on dev only", () => {
        expect(config.extends).toContain("schedule:weekly");
        const groups = new Set(config.packageRules.map((r) => r.groupName).filter((g): g is string => typeof g === "string"));
        for (const g of ["Helm charts", "container images", "toolchain", "npm dev dependencies", "GitHub Actions"]) expect(groups).toContain(g);
        const k3s = rule((r) => names(r).includes("k3s-io/k3s"));
        expect(k3s.find((r) => r.separateMultipleMinor === true && r.separateMinorPatch === true && r.groupName === null)).toBeDefined();
        expect(k3s.find((r) => (r.matchUpdateTypes as string[] | undefined)?.includes("major") && r.enabled === false)).toBeDefined();
        expect(rule((r) => (r.matchUpdateTypes as string[] | undefined)?.join() === "major" && r.dependencyDashboardApproval === true)).toHaveLength(1);
        // Stack files: dev only; the others follow by promotion.
        const stacks = config.packageRules.findIndex((r) => (r.matchFileNames as string[] | undefined)?.join() === "Pulumi.*.yaml" && r.enabled === false);
        const dev = config.packageRules.findIndex((r) => (r.matchFileNames as string[] | undefined)?.join() === "Pulumi.dev.yaml" && r.enabled === true);
        expect(stacks).toBeGreaterThanOrEqual(0);
        expect(dev).toBeGreaterThan(stacks);
    });
});

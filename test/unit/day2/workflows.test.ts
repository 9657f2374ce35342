import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";

const REPO = path.join(__dirname, "..", "..", "..");
const DIR = path.join(REPO, ".github", "workflows");
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

type Step = { uses?: string; with?: Record<string, unknown>; run?: string };
type Job = { steps?: Step[]; environment?: unknown; needs?: unknown; "runs-on"?: unknown };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };

const load = (f: string): Workflow => YAML.parse(fs.readFileSync(path.join(DIR, f), "utf8")) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps ?? []);
const pulumiSteps = (w: Workflow) => steps(w).filter((s) => s.uses?.startsWith("pulumi/actions@"));

/** `owner/repo@<40-hex sha> # vX.Y.Z` or `owner/repo@vX.Y.Z`: never a branch or a major-only tag. */
function pinProblem(line: string): string | undefined {
    const m = /uses:\s*([^\s#]+)(?:\s*#\s*(\S+))?/.exec(line);
    if (!m) return undefined;
    const [, ref, comment] = m;
    if (ref.startsWith("./")) return undefined;
    const at = ref.lastIndexOf("@");
    if (at < 0) return `${ref} has no version`;
    const version = ref.slice(at + 1);
    if (/^[0-9a-f]{40}$/.test(version)) return comment && /^v\d+\.\d+\.\d+$/.test(comment) ? undefined : `${ref} needs a '# vX.Y.Z' comment naming the tag`;
    return /^v\d+\.\d+\.\d+$/.test(version) ? undefined : `${ref} is not pinned to an exact version (use a commit SHA or vX.Y.Z)`;
}

describe("GitHub workflows", () => {
    it("exist and parse", () => {
        expect(files).toEqual(["deploy.yml", "preview.yml"]);
        for (const f of files) expect(YAML.parseDocument(fs.readFileSync(path.join(DIR, f), "utf8")).errors).toEqual([]);
    });

    it("pin every action to a commit (with its tag) or an exact version", () => {
        let uses = 0;
        for (const f of files) {
            for (const line of fs.readFileSync(path.join(DIR, f), "utf8").split("\n").filter((l) => /^\s*(-\s*)?uses:/.test(l))) {
                uses++;
                expect(pinProblem(line), `${f}: ${line.trim()}`).toBeUndefined();
            }
        }
        expect(uses).toBeGreaterThan(5);
    });

    it("recognise unpinned references", () => {
        expect(pinProblem("uses: actions/checkout@main")).toMatch(/not pinned/);
        expect(pinProblem("uses: actions/checkout@v4")).toMatch(/not pinned/);
        expect(pinProblem("uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")).toMatch(/comment/);
        expect(pinProblem("uses: actions/checkout@v4.2.2")).toBeUndefined();
    });

    it("pin the same Pulumi CLI as package.json, and the same version of each action everywhere", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
        const all = files.flatMap((f) => steps(load(f)));
        for (const s of all.filter((x) => x.uses?.startsWith("pulumi/actions@"))) expect(s.with?.["pulumi-version"]).toBe(pkg.devDependencies.pulumi);
        const byAction = new Map<string, Set<string>>();
        for (const s of all.filter((x) => x.uses)) {
            const [name, ref] = (s.uses as string).split("@");
            byAction.set(name, new Set([...(byAction.get(name) ?? []), ref]));
        }
        for (const [name, refs] of byAction) expect([...refs], name).toHaveLength(1);
    });

    it("preview each stack on pull requests with a diff, the policy pack and one edited comment, after npm test", () => {
        const w = load("preview.yml");
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
        const runs = steps(w).map((s) => s.run).filter(Boolean);
        expect(runs).toContain("npm ci");
        expect(runs).toContain("npm test");
        const preview = pulumiSteps(w);
        expect(preview).toHaveLength(1);
        expect(preview[0].with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": true, "edit-pr-comment": true, policyPacks: "policy" });
        expect(String(preview[0].with?.["cloud-url"])).toContain("secrets.PULUMI_BACKEND_URL");
        const job = Object.values(w.jobs).find((j) => (j.steps ?? []).some((s) => s.uses?.startsWith("pulumi/actions@"))) as Job & { strategy: { matrix: { stack: string[] } } };
        expect(job.strategy.matrix.stack).toEqual(["dev", "pi"]);
        expect(job.needs).toBe("test");
    });

    it("run the chart layer and post the manifest diff beside Pulumi's on pull requests", () => {
        const w = load("preview.yml");
        const job = Object.values(w.jobs).find((j) => (j.steps ?? []).some((s) => s.run === "npm run test:charts"));
        expect(job).toBeDefined();
        const runs = (job!.steps ?? []).map((s) => s.run ?? "");
        expect(runs).toContain("bash scripts/toolchain.sh helm pod-security");
        expect(runs).toContain("npm run charts -- --online");
        const diff = runs.findIndex((r) => r.startsWith("npm run --silent diff -- ") && r.includes("--markdown"));
        const post = runs.findIndex((r) => r.startsWith("bash scripts/pr-comment.sh "));
        expect(diff).toBeGreaterThan(runs.indexOf("npm run test:charts"));
        expect(post).toBeGreaterThan(diff);
        expect(job!.needs).toBe("test");
    });

    it("on main, up dev first and pi only behind the protected pi environment", () => {
        const w = load("deploy.yml");
        expect(w.on).toEqual({ push: { branches: ["main"] } });
        const upJobs = Object.entries(w.jobs).filter(([, j]) => (j.steps ?? []).some((s) => s.uses?.startsWith("pulumi/actions@")));
        const stackOf = (j: Job) => pulumiSteps({ on: {}, jobs: { j } }).map((s) => s.with?.["stack-name"])[0];
        const dev = upJobs.find(([, j]) => stackOf(j) === "dev");
        const pi = upJobs.find(([, j]) => stackOf(j) === "pi");
        expect(dev && pi).toBeTruthy();
        if (!dev || !pi) return;
        expect(pi[1].environment).toBe("pi");
        expect(pi[1].needs).toBe(dev[0]);
        for (const [, j] of [dev, pi]) {
            expect(pulumiSteps({ on: {}, jobs: { j } })[0].with).toMatchObject({ command: "up", policyPacks: "policy" });
        }
        const text = fs.readFileSync(path.join(DIR, "deploy.yml"), "utf8");
        for (const secret of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"]) expect(text).toContain(`secrets.${secret}`);
    });
});

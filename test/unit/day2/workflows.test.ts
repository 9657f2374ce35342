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
        expect(files).toEqual(["deploy.yml", "drift.yml", "preview.yml"]);
        for (const f of files) expect(YAML.parseDocument(fs.readFileSync(path.join(DIR, f), "utf8")).errors).toEqual([]);
    });

    it("pin every action to a commit (with its tag) or an exact version", () => {
        let uses = 0;
        for (const f of files) {
            for (const line of fs.readFileSync(path.join(DIR, f), "utf8").split("\n").filter((l) => /^\s*(-\s*)?uses:/.test(l))) {
                uses++;
                expect(pinProblem(line), `${f}: ${line.trim()}`).toBeUndefined();
                expect(line, `${f}: third-party actions by commit SHA`).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
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

    it("run every job on the .nvmrc Node, and say no other in docs/ci.md", () => {
        const setups = files.flatMap((f) => steps(load(f)).filter((s) => s.uses?.startsWith("actions/setup-node@")).map((s) => [f, s] as const));
        expect(setups.length).toBeGreaterThanOrEqual(7);
        for (const [f, s] of setups) expect(s.with, f).toMatchObject({ "node-version-file": ".nvmrc" });
        for (const [f, s] of setups) expect(s.with?.["node-version"], f).toBeUndefined();
        const nvmrc = fs.readFileSync(path.join(REPO, ".nvmrc"), "utf8").trim();
        for (const v of fs.readFileSync(path.join(REPO, "docs", "ci.md"), "utf8").match(/\b\d+\.\d+\.\d+\b/g) ?? []) {
            if (/^(2[0-9])\./.test(v)) expect(v, "docs/ci.md names a Node.js version").toBe(nvmrc);
        }
    });

    it("install the Pulumi CLI at package.json's pin, and run it only through scripts/pulumi.sh (one state with the workstation)", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
        const all = files.flatMap((f) => steps(load(f)));
        const installs = all.filter((x) => x.uses?.startsWith("pulumi/actions@"));
        expect(installs.length).toBe(4);
        for (const s of installs) expect(s.with).toEqual({ "pulumi-version": pkg.devDependencies.pulumi });
        const byAction = new Map<string, Set<string>>();
        for (const s of all.filter((x) => x.uses)) {
            const [name, ref] = (s.uses as string).split("@");
            byAction.set(name, new Set([...(byAction.get(name) ?? []), ref]));
        }
        for (const [name, refs] of byAction) expect([...refs], name).toHaveLength(1);
        for (const f of files) {
            const text = fs.readFileSync(path.join(DIR, f), "utf8");
            expect(text, f).not.toContain("cloud-url");
            expect(text, f).not.toMatch(/^\s*run:\s*(npx )?pulumi /m);
        }
    });

    it("preview each stack on pull requests with the policy pack and one edited comment, after npm test", () => {
        const w = load("preview.yml");
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
        const job = w.jobs.preview as Job & { strategy: { matrix: { stack: string[] } } };
        expect(job.strategy.matrix.stack).toEqual(["dev", "pi"]);
        expect(job.needs).toBe("test");
        const runs = (job.steps ?? []).map((s) => s.run ?? "");
        const preview = runs.findIndex((r) => r.startsWith("bash scripts/pulumi-report.sh preview.md ") && r.includes('preview --stack "${{ matrix.stack }}" --policy-pack policy'));
        const post = runs.findIndex((r) => r.startsWith("bash scripts/pr-comment.sh ") && r.endsWith("preview.md"));
        expect(preview).toBeGreaterThan(runs.indexOf("npm ci"));
        expect(post).toBeGreaterThan(preview);
        expect(runs.some((r) => r.includes("--diff"))).toBe(false);
    });

    it("run the chart layer and post the manifest diff beside the preview on pull requests", () => {
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
        const upOf = (j: Job) => (j.steps ?? []).map((s) => s.run ?? "").find((r) => r.startsWith("bash scripts/pulumi-report.sh up.md "));
        expect(upOf(w.jobs["up-dev"])).toContain("up --yes --stack dev --policy-pack policy");
        expect(upOf(w.jobs["up-pi"])).toContain("up --yes --stack pi --policy-pack policy");
        expect(w.jobs["up-pi"].environment).toBe("pi");
        expect(w.jobs["up-pi"].needs).toBe("up-dev");
        const text = fs.readFileSync(path.join(DIR, "deploy.yml"), "utf8");
        for (const secret of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"]) expect(text).toContain(`secrets.${secret}`);
    });

    it("look for drift on a schedule: preview --refresh --expect-no-changes per stack, named per node in the summary and an issue", () => {
        const w = load("drift.yml") as Workflow & { permissions: Record<string, string> };
        expect(w.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
        expect(w.permissions).toEqual({ contents: "read", issues: "write" });
        const job = w.jobs.drift as Job & { strategy: { matrix: { stack: string[] } } };
        expect(job.strategy.matrix.stack).toEqual(["dev", "pi"]);
        const runs = (job.steps ?? []).map((s) => s.run ?? "");
        expect(runs).toContain('npm run --silent drift -- --stack "${{ matrix.stack }}" --markdown drift.md');
        expect(runs).toContain('bash scripts/drift-issue.sh "${{ matrix.stack }}" drift.md');
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> };
        expect(pkg.scripts.drift).toBe("tsx scripts/drift.ts");
        expect(fs.readFileSync(path.join(REPO, "scripts", "drift.ts"), "utf8")).toContain('"preview", "--refresh", "--expect-no-changes"');
    });
});

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestDiff } from "../../scripts/diff";
import { prerequisites, ROOT } from "./layer";

/** A clone of this repository's HEAD with one more commit: the dev stack's PostgreSQL volume grows to 3Gi. */
let clone: string;

beforeAll(() => {
    prerequisites();
    clone = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-diff-test-"));
    execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, clone]);
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(clone, "node_modules"));
    const file = path.join(clone, "Pulumi.dev.yaml");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain("storage: { size: 2Gi }");
    fs.writeFileSync(file, text.replace("storage: { size: 2Gi }", "storage: { size: 3Gi }"));
    execFileSync("git", ["-C", clone, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qam", "dev: 3Gi for postgres"]);
});

afterAll(() => {
    if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

describe("npm run diff -- <base-ref>", () => {
    it("shows what a values change does to the chart's manifests, offline", async () => {
        const text = await manifestDiff({ root: clone, base: "HEAD~1", stacks: ["dev"] });
        expect(text).toContain("chart manifests included");
        expect(text).toMatch(/## dev: \d+ file\(s\) changed:\n(.|\n)*M charts\/postgres\.yaml/);
        // the Cluster object the cloudnative-pg `cluster` chart renders
        expect(text).toMatch(/--- base\/dev\/charts\/postgres\.yaml\n\+\+\+ head\/dev\/charts\/postgres\.yaml\n(.|\n)*-\s+size: 2Gi\n\+\s+size: 3Gi/);
        expect(text).not.toMatch(/offline-secret:|offline-placeholder-ssh-key/);
    });

    it("says so when nothing changes, and renders the same twice", async () => {
        expect(await manifestDiff({ root: clone, base: "HEAD", stacks: ["dev"] })).toMatch(/## dev: no change\n/);
    });

    it("writes a PR comment body with a marker and a diff block per changed stack", async () => {
        const text = await manifestDiff({ root: clone, base: "HEAD~1", stacks: ["dev"], markdown: true });
        expect(text.startsWith("<!-- picluster-manifest-diff -->\n")).toBe(true);
        expect(text).toMatch(/#### dev: \d+ file\(s\) changed\n\n<details><summary>.*<code>charts\/postgres\.yaml<\/code>.*<\/summary>\n\n```diff\n/);
    });

    it("names a base ref that does not exist", async () => {
        await expect(manifestDiff({ root: clone, base: "no-such-ref", stacks: ["dev"] })).rejects.toThrow(/git archive no-such-ref failed/);
    });
});

import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { formatPath } from "../../../config/load";
import { lineDiff } from "../../../scripts/lib/lineDiff";
import { findVersions, promote, StackValidator, validateStackDocument } from "../../../scripts/lib/promote";
import { k3sVersion } from "../../../config/schema/cluster";

const FIXTURES = path.join(__dirname, "fixtures");
const REPO = path.join(__dirname, "..", "..", "..");
const read = (set: string, stack: string) => fs.readFileSync(path.join(FIXTURES, set, `Pulumi.${stack}.yaml`), "utf8");
const noProblems: StackValidator = () => [];

describe("findVersions", () => {
    it("finds k3s, chart and image versions, naming array items by their name", () => {
        const ids = [...findVersions(YAML.parseDocument(read("full", "pi"))).keys()].sort();
        expect(ids).toEqual([
            "agentHost.image",
            "agentHost.redis.image",
            "apps[placemyparents].image",
            "cluster.k3sVersion",
            "services.catalog[jupyterhub].version",
            "services.catalog[rabbitmq].version",
            "services.ollama.version",
            "services.postgres.clusterVersion",
            "services.postgres.operatorVersion",
            "workerAgents.templates[code-reviewer].image",
        ]);
    });

    it("looks inside no secure: value", () => {
        const doc = YAML.parseDocument("config:\n  picluster:apps:\n    - name: a\n      image:\n        secure: v1:xyz\n");
        expect([...findVersions(doc).keys()]).toEqual([]);
    });
});

describe("promote dev → pi", () => {
    it("copies the k3s version and keeps every other byte of the target, comments and secure: values included", () => {
        const pi = read("basic", "pi");
        const result = promote(read("basic", "dev"), pi, { fromStack: "dev", toStack: "pi" });
        expect(result.changes).toEqual([{ id: "cluster.k3sVersion", from: "v1.33.5+k3s1", to: "v1.34.1+k3s1" }]);
        expect(result.refusals).toEqual([]);
        expect(YAML.parse(result.text).config["picluster:cluster"].k3sVersion).toBe("v1.34.1+k3s1");
        // Undoing the one change gives back the original file exactly.
        expect(result.text.replace("v1.34.1+k3s1", "v1.33.5+k3s1")).toBe(pi);
        expect(result.text).toContain("    k3sVersion: v1.34.1+k3s1   # the version pi runs today\n");
        expect(result.text).toContain("secure: v1:PIpiPIpiPIpi:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJKKKKLLLLMMMMNNNNOOOOPPPP\n");
        expect(result.text).toContain("capacity: {cpu: 8,   memory: 32Gi}");
    });

    it("prints each change and a line diff of the file", () => {
        const result = promote(read("basic", "dev"), read("basic", "pi"), { fromStack: "dev", toStack: "pi" });
        expect(result.report).toContain("cluster.k3sVersion: v1.33.5+k3s1 -> v1.34.1+k3s1");
        expect(result.report).toContain("-    k3sVersion: v1.33.5+k3s1   # the version pi runs today");
        expect(result.report).toContain("+    k3sVersion: v1.34.1+k3s1   # the version pi runs today");
    });

    it("changes nothing when both stacks already pin the same versions", () => {
        const pi = read("basic", "pi");
        const result = promote(pi, pi, { fromStack: "pi", toStack: "pi" });
        expect(result.changes).toEqual([]);
        expect(result.text).toBe(pi);
    });

    it("refuses a version that fails the program's validation and names the key", () => {
        const dev = read("basic", "dev").replace("v1.34.1+k3s1", "latest");
        const pi = read("basic", "pi");
        const result = promote(dev, pi, { fromStack: "dev", toStack: "pi" });
        expect(result.changes).toEqual([]);
        expect(result.text).toBe(pi);
        expect(result.refusals).toHaveLength(1);
        expect(result.refusals[0].id).toBe("cluster.k3sVersion");
        expect(result.refusals[0].reason).toContain("picluster:cluster.k3sVersion");
        expect(result.refusals[0].reason).toContain("pinned k3s release");
    });

    it("copies chart and image versions into the items pi has, matched by name, quoting as the target did", () => {
        const pi = read("full", "pi");
        const result = promote(read("full", "dev"), pi, { fromStack: "dev", toStack: "pi", validate: noProblems });
        const byId = Object.fromEntries(result.changes.map((c) => [c.id, c]));
        expect(Object.keys(byId).sort()).toEqual([
            "agentHost.image",
            "agentHost.redis.image",
            "apps[placemyparents].image",
            "cluster.k3sVersion",
            "services.catalog[headlamp].version",
            "services.catalog[jupyterhub].version",
            "services.ollama.version",
            "services.postgres.operatorVersion",
            "workerAgents.templates[code-reviewer].image",
        ]);
        expect(byId["services.catalog[headlamp].version"]).toEqual({ id: "services.catalog[headlamp].version", from: undefined, to: "0.40.0" });
        const after = YAML.parse(result.text).config;
        expect(after["picluster:services"].catalog.map((c: { name: string; version?: string }) => [c.name, c.version])).toEqual([
            ["rabbitmq", "16.0.0"],
            ["jupyterhub", "4.3.0"],
            ["headlamp", "0.40.0"],
        ]);
        expect(after["picluster:apps"][0]).toEqual({ name: "placemyparents", image: "registry.lan/placemyparents:2.1.0", port: 8080 });
        expect(after["picluster:workerAgents"].templates[0].image).toBe("registry.lan/agents/code-reviewer:1.5.0");
        expect(result.text).toContain("image: 'redis:7.4.10-alpine'");
        expect(result.text).toContain("      # Pinned chart.\n      version: 1.78.0\n");
        expect(result.text).toContain("secure: v1:abcABCabc:ZmFrZS1jaXBoZXJ0ZXh0LWtlcHQtYXMtaXM=\n");
    });

    it("leaves pi's versions that dev does not pin alone, and reports them", () => {
        const result = promote(read("full", "dev"), read("full", "pi"), { fromStack: "dev", toStack: "pi", validate: noProblems });
        const after = YAML.parse(result.text).config["picluster:services"];
        expect(after.postgres.clusterVersion).toBe("0.8.1");
        expect(after.catalog[0].version).toBe("16.0.0");
        const refused = Object.fromEntries(result.refusals.map((r) => [r.id, r.reason]));
        expect(refused["services.postgres.clusterVersion"]).toMatch(/dev does not pin/);
        expect(refused["services.catalog[rabbitmq].version"]).toMatch(/dev does not pin/);
    });

    it("reports, and does not add, a version for something pi does not have", () => {
        const result = promote(read("full", "dev"), read("full", "pi"), { fromStack: "dev", toStack: "pi", validate: noProblems });
        expect(YAML.parse(result.text).config["picluster:services"].rocketchat).toBeUndefined();
        const refusal = result.refusals.find((r) => r.id === "services.rocketchat.version");
        expect(refusal?.reason).toMatch(/pi has no services\.rocketchat; not added/);
    });

    it("refuses only the change a validation problem names and keeps the others", () => {
        // The real k3s schema, reported the way loadConfig reports it.
        const k3sOnly: StackValidator = (doc) => {
            const value = doc.getIn(["config", "picluster:cluster", "k3sVersion"]);
            const r = k3sVersion.safeParse(value);
            return r.success ? [] : [`${formatPath("cluster", ["k3sVersion"])} = ${JSON.stringify(value)}: ${r.error.issues[0].message}`];
        };
        const dev = read("full", "dev").replace("v1.34.1+k3s1", "stable");
        const pi = read("full", "pi");
        const result = promote(dev, pi, { fromStack: "dev", toStack: "pi", validate: k3sOnly });
        expect(result.refusals.find((r) => r.id === "cluster.k3sVersion")?.reason).toMatch(/stable fails validation/);
        expect(result.changes.map((c) => c.id)).toContain("services.ollama.version");
        expect(result.changes.map((c) => c.id)).not.toContain("cluster.k3sVersion");
        expect(YAML.parse(result.text).config["picluster:cluster"].k3sVersion).toBe("v1.33.5+k3s1");
    });

    it("promotes nothing into a target that is invalid before promotion", () => {
        const pi = read("basic", "pi").replace("arch: arm64", "arch: armv7");
        const result = promote(read("basic", "dev"), pi, { fromStack: "dev", toStack: "pi" });
        expect(result.changes).toEqual([]);
        expect(result.text).toBe(pi);
        expect(result.problems.join("\n")).toContain("picluster:cluster.nodes[1].arch");
    });

    it("validates the committed stack files as the program does", () => {
        for (const stack of ["dev", "pi"]) {
            expect(validateStackDocument(YAML.parseDocument(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")), stack)).toEqual([]);
        }
    });
});

describe("lineDiff", () => {
    it("shows removed and added lines with context", () => {
        expect(lineDiff("a\nb\nc\n", "a\nB\nc\n", ["x", "y"], 1)).toBe("--- x\n+++ y\n@@ line 1 @@\n a\n-b\n+B\n c");
    });
});

describe("npm run promote", () => {
    const run = promisify(execFile);
    const tsx = path.join(REPO, "node_modules", ".bin", "tsx");
    const script = path.join(REPO, "scripts", "promote.ts");

    const tempStacks = () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
        for (const stack of ["dev", "pi"]) fs.copyFileSync(path.join(FIXTURES, "basic", `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
        return dir;
    };

    it("writes nothing without --write, and the promoted file with it", async () => {
        const dir = tempStacks();
        const target = path.join(dir, "Pulumi.pi.yaml");
        const before = fs.readFileSync(target, "utf8");
        const dry = await run(tsx, [script, "dev", "pi", "--root", dir]);
        expect(dry.stdout).toContain("Dry run: nothing written");
        expect(fs.readFileSync(target, "utf8")).toBe(before);
        const wet = await run(tsx, [script, "dev", "pi", "--root", dir, "--write"]);
        expect(wet.stdout).toContain("Wrote");
        expect(fs.readFileSync(target, "utf8")).toBe(before.replace("v1.33.5+k3s1", "v1.34.1+k3s1"));
        expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).toBe(read("basic", "dev"));
    });

    it("exits 1 when it refuses a version", async () => {
        const dir = tempStacks();
        const dev = path.join(dir, "Pulumi.dev.yaml");
        fs.writeFileSync(dev, fs.readFileSync(dev, "utf8").replace("v1.34.1+k3s1", "latest"));
        await expect(run(tsx, [script, "dev", "pi", "--root", dir, "--write"])).rejects.toMatchObject({ code: 1 });
        expect(fs.readFileSync(path.join(dir, "Pulumi.pi.yaml"), "utf8")).toBe(read("basic", "pi"));
    });
});

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { bareVersion, mismatches, npmPins, PLUGINS, which } from "../../e2e/lib/plugins";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"));

describe("e2e plugin versions", () => {
    it("checks every binary the engine runs against an exact package.json pin", () => {
        const pins = npmPins(pkg);
        for (const p of PLUGINS) expect(pins[p.pin], p.pin).toMatch(/^\d+\.\d+\.\d+$/);
        expect(PLUGINS.map((p) => p.binary)).toEqual(["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-random", "pulumi-resource-command"]);
    });

    it("reads versions with or without a leading v", () => {
        expect(bareVersion("v3.259.0\n")).toBe("3.259.0");
        expect(bareVersion("4.21.1")).toBe("4.21.1");
    });

    it("names each binary whose version differs from its pin, and nothing else", () => {
        const found = [
            { binary: "pulumi-resource-kubernetes", path: "/tc/k", version: "4.25.0", pin: "@pulumi/kubernetes", pinned: "4.32.0" },
            { binary: "pulumi-resource-random", path: "/tc/r", version: "4.21.1", pin: "@pulumi/random", pinned: "4.21.1" },
        ];
        expect(mismatches(found)).toEqual(["pulumi-resource-kubernetes 4.25.0 (/tc/k) but package.json pins @pulumi/kubernetes 4.32.0"]);
    });

    it("finds the first binary on a search path, as the engine's PATH lookup does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugins-"));
        for (const d of ["a", "b"]) fs.mkdirSync(path.join(dir, d));
        fs.writeFileSync(path.join(dir, "b", "pulumi-resource-random"), "");
        fs.writeFileSync(path.join(dir, "a", "pulumi-resource-random"), "");
        expect(which("pulumi-resource-random", `${dir}/a:${dir}/b`)).toBe(path.join(dir, "a", "pulumi-resource-random"));
        expect(which("pulumi-resource-command", `${dir}/a:${dir}/b`)).toBeUndefined();
        fs.rmSync(dir, { recursive: true });
    });
});

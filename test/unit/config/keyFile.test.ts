import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../config/load";
import { objectSource, type ConfigSource } from "../../../config/source";
import { offlineSource } from "../../../scripts/lib/stackFile";
import { isSecret } from "../../helpers/mocks";
import { clusterWith, server, TEST_SSH_KEY } from "../../helpers/stacks";

const REPO = path.join(__dirname, "..", "..", "..");

/** A source whose files are the given map (what `readFile` would read at run time). */
function withFiles(values: Record<string, unknown>, files: Record<string, string>, secretKeys: string[] = []): ConfigSource {
    return {
        ...objectSource("dev", values, secretKeys),
        readFile: (f) => {
            if (!(f in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
            return files[f];
        },
    };
}

function problems(source: ConfigSource): string[] {
    try {
        loadConfig(source);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

describe("sshPrivateKeyFile: the default SSH key kept outside the repository", () => {
    const cluster = clusterWith([server()]);

    it("reads the key from the file at run time, as a secret", async () => {
        const c = loadConfig(withFiles({ cluster, sshPrivateKeyFile: "~/.picluster/dev_ed25519" }, { "~/.picluster/dev_ed25519": TEST_SSH_KEY }));
        expect(c.sshPrivateKey).toBeDefined();
        expect(await isSecret(c.sshPrivateKey!)).toBe(true);
    });

    it("refuses a missing file, a public key, a relative path and both ways set at once, naming the fix", () => {
        expect(problems(withFiles({ cluster, sshPrivateKeyFile: "~/.picluster/dev_ed25519" }, {}))).toEqual([expect.stringMatching(/sshPrivateKeyFile = "~\/\.picluster\/dev_ed25519": cannot be read \(ENOENT\); create it \(`ssh-keygen -t ed25519/)]);
        expect(problems(withFiles({ cluster, sshPrivateKeyFile: "/k.pub" }, { "/k.pub": "ssh-ed25519 AAAA… me" }))).toEqual([expect.stringContaining("holds no private key")]);
        expect(problems(withFiles({ cluster, sshPrivateKeyFile: "keys/dev" }, {}))).toEqual([expect.stringContaining("must be an absolute path, or one under ~/")]);
        // A key pasted where the path goes is never echoed.
        const pasted = problems(withFiles({ cluster, sshPrivateKeyFile: TEST_SSH_KEY }, {}));
        expect(pasted).toEqual([expect.stringContaining("must be an absolute path")]);
        expect(pasted[0]).not.toContain(TEST_SSH_KEY.split("\n")[1]);
        expect(problems(withFiles({ cluster, sshPrivateKeyFile: "/k", sshPrivateKey: TEST_SSH_KEY }, { "/k": TEST_SSH_KEY }, ["sshPrivateKey"]))).toEqual([expect.stringContaining("sshPrivateKey is set too; keep one")]);
    });

    it("is what the committed dev stack uses, and never read offline (a stand-in key replaces it)", () => {
        expect(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")).toMatch(/^ {2}picluster:sshPrivateKeyFile: ~\/\.picluster\/dev_ed25519$/m);
        const source = offlineSource(REPO, "dev");
        expect(source.keys()).not.toContain("sshPrivateKeyFile");
        expect(source.isSecret("sshPrivateKey")).toBe(true);
        expect(() => loadConfig(source)).not.toThrow();
    });
});

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { decrypt, keyFor, printedPassphrases, readableSecrets } from "../../../scripts/lib/stackSecrets";

const REPO = path.join(__dirname, "..", "..", "..");

// Made by the pinned CLI (3.259.0): `pulumi stack init --secrets-provider passphrase`
// then `pulumi config set --secret greeting hello`, with PULUMI_CONFIG_PASSPHRASE=s3cret.
const CLI_MADE = `encryptionsalt: v1:w1HOHdRtmRw=:v1:LJ8gUQbDQGcckNxI:pz/TjsoWAVwoxQG9OfD0Gi4Kbr8TvQ==
config:
  statetest:greeting:
    secure: v1:y/usTPgniRj8vU4l:k92IUpldlgBnapHvMR2WpVa7mQoA
`;

describe("secrets in tracked stack files", () => {
    it("opens what the pinned CLI encrypted, as its passphrase provider does, and only with its passphrase", () => {
        const salt = /encryptionsalt: (\S+)/.exec(CLI_MADE)![1];
        const key = keyFor(salt, "s3cret");
        expect(key).toBeDefined();
        expect(decrypt(key!, "v1:y/usTPgniRj8vU4l:k92IUpldlgBnapHvMR2WpVa7mQoA")).toBe("hello");
        expect(keyFor(salt, "s3cret ")).toBeUndefined();
        expect(readableSecrets(CLI_MADE, ["wrong", "s3cret"])).toEqual([{ key: "statetest:greeting", passphrase: "s3cret" }]);
        expect(readableSecrets(CLI_MADE, ["wrong", ""])).toEqual([]);
    });

    it("finds the passphrases a file prints, and not references to secrets", () => {
        const text = [
            "export PULUMI_CONFIG_PASSPHRASE=picluster-demo",
            'env: { PULUMI_CONFIG_PASSPHRASE: "e2e-pass" },',
            "      PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
            'PULUMI_CONFIG_PASSPHRASE="$PASS" pulumi up',
            "const opts = { passphrase: 'hunter2' };",
        ].join("\n");
        expect(printedPassphrases(text).sort()).toEqual(["e2e-pass", "hunter2", "picluster-demo"]);
    });

    it("no tracked Pulumi.<stack>.yaml holds a secret that a passphrase printed anywhere in the repository opens", () => {
        const files = execFileSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8" }).split("\0").filter(Boolean);
        const printed = new Set<string>([""]); // the empty passphrase is everyone's
        for (const f of [...files, path.relative(REPO, __filename)]) {
            const file = path.join(REPO, f);
            if (!fs.existsSync(file) || fs.statSync(file).size > 2_000_000) continue;
            const text = fs.readFileSync(file, "utf8");
            if (text.includes("\0")) continue;
            for (const p of printedPassphrases(text)) printed.add(p);
        }
        // The scan would catch one: this file prints the passphrase of CLI_MADE.
        expect(readableSecrets(CLI_MADE, [...printed])).toHaveLength(1);
        const stackFiles = files.filter((f) => /(^|\/)Pulumi\.[^/]+\.ya?ml$/.test(f));
        expect(stackFiles).toContain("Pulumi.dev.yaml");
        const readable = stackFiles.flatMap((f) => readableSecrets(fs.readFileSync(path.join(REPO, f), "utf8"), [...printed]).map((r) => `${f}: ${r.key} opens with a passphrase printed in the repository (${JSON.stringify(r.passphrase)})`));
        expect(readable).toEqual([]);
    });
});

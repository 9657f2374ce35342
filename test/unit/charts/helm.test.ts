import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { helmBin, HELM_VERSION } from "../../../scripts/charts/cache";

describe("finding helm", () => {
    const saved = { PATH: process.env.PATH, HELM: process.env.HELM, PICLUSTER_TOOLCHAIN_DIR: process.env.PICLUSTER_TOOLCHAIN_DIR };
    afterEach(() => Object.assign(process.env, saved));

    it("names the command that builds or installs helm when there is none, instead of a spawn error", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "nohelm-"));
        Object.assign(process.env, { PATH: empty, PICLUSTER_TOOLCHAIN_DIR: empty });
        delete process.env.HELM;
        expect(() => helmBin()).toThrow(`helm is not installed: build the pinned ${HELM_VERSION} with \`scripts/toolchain.sh helm\``);
    });

    it("uses a helm found on PATH", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-"));
        fs.writeFileSync(path.join(dir, "helm"), "#!/bin/sh\n", { mode: 0o755 });
        Object.assign(process.env, { PATH: dir, PICLUSTER_TOOLCHAIN_DIR: dir });
        delete process.env.HELM;
        expect(helmBin()).toBe(path.join(dir, "helm"));
    });
});

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { DEFAULT_INSTALLER } from "../../../config/schema/cluster";
import { installerCachePath, upstreamInstaller, UPSTREAM_INSTALLER } from "../../e2e/lib/installer";

describe("the e2e suite's k3s installer cache", () => {
    it("is ~/.cache/picluster-k3s/install.sh unless PICLUSTER_K3S_INSTALLER names another file", () => {
        expect(installerCachePath({})).toBe(path.join(os.homedir(), ".cache", "picluster-k3s", "install.sh"));
        expect(installerCachePath({ PICLUSTER_K3S_INSTALLER: "/srv/install.sh" })).toBe("/srv/install.sh");
    });

    it("is the program's default installer: the same commit and sha256", () => {
        expect(DEFAULT_INSTALLER.url).toBe(`https://raw.githubusercontent.com/k3s-io/k3s/${UPSTREAM_INSTALLER.commit}/install.sh`);
        expect(UPSTREAM_INSTALLER.sha256).toBe(DEFAULT_INSTALLER.sha256);
    });

    it("fails without the installer, saying where it goes and how to fill it (no fallback)", () => {
        const missing = path.join(os.tmpdir(), "picluster-no-such-dir", "install.sh");
        expect(() => upstreamInstaller({ PICLUSTER_K3S_INSTALLER: missing })).toThrow(
            new RegExp(`${missing}.*missing.*no fallback.*raw\\.githubusercontent\\.com/k3s-io/k3s/${UPSTREAM_INSTALLER.commit}/install\\.sh`),
        );
    });

    it("reports the sha256 of the copy and whether it is the one docs/e2e.md records", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "picluster-installer-")), "install.sh");
        fs.writeFileSync(file, "#!/bin/sh\n");
        const got = upstreamInstaller({ PICLUSTER_K3S_INSTALLER: file });
        expect(got).toEqual({ path: file, sha256: crypto.createHash("sha256").update("#!/bin/sh\n").digest("hex"), known: false });
        fs.rmSync(path.dirname(file), { recursive: true });
    });
});

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_INSTALLER } from "../../../config/schema/cluster";

/**
 * The k3s installer the e2e suite runs: the program's default installer
 * (upstream install.sh at a fixed commit), kept in a cache outside the
 * repository (never committed); docs/e2e.md says how to fill the cache.
 */
export const UPSTREAM_INSTALLER = {
    repo: "k3s-io/k3s",
    path: "install.sh",
    commit: (/\/k3s-io\/k3s\/([0-9a-f]{40})\/install\.sh$/.exec(DEFAULT_INSTALLER.url) as RegExpExecArray)[1],
    sha256: DEFAULT_INSTALLER.sha256,
};

/** Where the cached install.sh is: $PICLUSTER_K3S_INSTALLER, else ~/.cache/picluster-k3s/install.sh. */
export function installerCachePath(env: NodeJS.ProcessEnv = process.env): string {
    return env.PICLUSTER_K3S_INSTALLER ?? path.join(os.homedir(), ".cache", "picluster-k3s", "install.sh");
}

/** The cached installer and its sha256, or an error saying how to fill the cache. */
export function upstreamInstaller(env: NodeJS.ProcessEnv = process.env): { path: string; sha256: string; known: boolean } {
    const file = installerCachePath(env);
    if (!fs.existsSync(file)) {
        throw new Error(
            `the k3s installer is not in the cache: ${file} is missing. The e2e suite runs the real install.sh and has no fallback. ` +
                `Fill the cache with ${UPSTREAM_INSTALLER.repo}'s ${UPSTREAM_INSTALLER.path} (e.g. curl -fsSL https://raw.githubusercontent.com/${UPSTREAM_INSTALLER.repo}/${UPSTREAM_INSTALLER.commit}/install.sh -o ${file}), ` +
                `or point PICLUSTER_K3S_INSTALLER at a copy (docs/e2e.md, "The k3s installer")`,
        );
    }
    const sha256 = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    return { path: file, sha256, known: sha256 === UPSTREAM_INSTALLER.sha256 };
}

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * The k3s installer the e2e suite runs: upstream install.sh, kept in a cache
 * outside the repository (never committed). Facts of the copy this suite was
 * proved with; docs/e2e.md says how to fill the cache.
 */
export const UPSTREAM_INSTALLER = {
    repo: "k3s-io/k3s",
    path: "install.sh",
    commit: "0136cf258954a458da1404858396342724b93d24",
    sha256: "40b487f0d8ef4f5d1bf422e7bb6228cc7789c40ecc66c5ab067d396bbee9816e",
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

/*
 * The Pod Security judge: tools/pod-security, the upstream
 * k8s.io/pod-security-admission checks built by `scripts/toolchain.sh
 * pod-security`, fed one pod per JSON line.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PodSecurityJudge } from "./checks";

/** Kubernetes version whose pod-security-admission module the toolchain builds (scripts/toolchain.sh KUBERNETES_VERSION). */
// renovate: datasource=github-releases depName=kubernetes/kubernetes extractVersion=^v(?<version>.+)$
export const POD_SECURITY_VERSION = "1.34.4";

/** The built judge binary, or undefined when the toolchain lacks it. */
export function podSecurityBin(): string | undefined {
    if (process.env.PICLUSTER_POD_SECURITY) return process.env.PICLUSTER_POD_SECURITY;
    const dir = process.env.PICLUSTER_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "picluster-toolchain");
    const bin = path.join(dir, `pod-security-v${POD_SECURITY_VERSION}`, "bin", "pod-security");
    return fs.existsSync(bin) ? bin : undefined;
}

/** Judges pods with the upstream checks. */
export function upstreamJudge(bin: string): PodSecurityJudge {
    return (requests) => {
        if (requests.length === 0) return [];
        const input = requests.map((r) => JSON.stringify(r)).join("\n") + "\n";
        const out = execFileSync(bin, [], { input, maxBuffer: 1 << 28 }).toString();
        return out
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as ReturnType<PodSecurityJudge>[number]);
    };
}

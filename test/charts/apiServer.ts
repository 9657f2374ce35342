import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const APISERVER = path.join(ROOT, "test", "e2e", "lib", "apiserver.sh");

type Obj = Record<string, unknown>;

/**
 * A throwaway kube-apiserver for a chart-layer test: the toolchain's, on
 * loopback, started by the e2e suite's apiserver.sh in a temporary
 * directory. Nothing runs on it (no kubelet, no operator).
 */
export class ThrowawayApiServer {
    /** The test's own temporary directory (the server's state lives below it). */
    readonly dir: string;
    readonly kubeconfig: string;
    /** The toolchain's PATH first, and KUBECONFIG set: for kubectl and the scripts a test runs. */
    readonly env: NodeJS.ProcessEnv;

    constructor(prefix: string) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `picluster-${prefix}-`));
        this.kubeconfig = path.join(this.dir, "apiserver", "kubeconfig");
        const toolchainPath = /export PATH=(\S+):"\$PATH"/.exec(execFileSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--env"], { encoding: "utf8" }))?.[1];
        this.env = { ...process.env, PATH: `${toolchainPath}:${process.env.PATH}`, KUBECONFIG: this.kubeconfig };
    }

    start(): void {
        const r = spawnSync("bash", [APISERVER, "start", path.join(this.dir, "apiserver")], { env: this.env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`kube-apiserver did not start: ${r.stderr}`);
    }

    /** Stops the server and removes the directory. */
    stop(): void {
        spawnSync("bash", [APISERVER, "stop", path.join(this.dir, "apiserver")], { env: this.env });
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    kubectl(args: string[], input?: string): { status: number; out: string } {
        const r = spawnSync("kubectl", args, { env: this.env, input, encoding: "utf8" });
        return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    }

    /** A server-side dry run of one object: admitted or refused, nothing stored. */
    dryRun(obj: Obj): { status: number; out: string } {
        return this.kubectl(["apply", "--dry-run=server", "-f", "-"], JSON.stringify(obj));
    }

    /** Applies CRDs and waits until the named ones are established. */
    installCrds(crds: Obj[], established: string[]): void {
        for (const crd of crds) {
            const r = this.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(crd));
            if (r.status !== 0) throw new Error(r.out);
        }
        const wait = this.kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...established.map((n) => `crd/${n}`)]);
        if (wait.status !== 0) throw new Error(wait.out);
    }
}

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const SCRIPTS = path.join(__dirname, "..", "..", "components", "cluster", "scripts");
export const FIXTURES = path.join(__dirname, "fixtures");

/**
 * A throwaway node: a root directory the scripts see through PICLUSTER_ROOT,
 * stub commands first on PATH, a log of what the stubs were asked to do and
 * a state directory for the stub k3s.
 */
export class Sandbox {
    readonly root: string;
    readonly log: string;
    readonly state: string;

    constructor() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-node-"));
        this.root = path.join(dir, "root");
        this.state = path.join(dir, "state");
        this.log = path.join(dir, "calls.log");
        fs.mkdirSync(this.root);
        fs.mkdirSync(this.state);
        fs.writeFileSync(this.log, "");
    }

    /** Puts the stub k3s where the installer would: <root>/usr/local/bin/k3s (or another bin dir). */
    installK3s(binDir = "usr/local/bin"): void {
        const file = this.write(path.join(binDir, "k3s"), `#!/bin/sh\nexec "${path.join(FIXTURES, "bin", "k3s")}" "$@"\n`);
        fs.chmodSync(file, 0o755);
    }

    /** Writes a file below the root, creating its folders. */
    write(rel: string, content: string): string {
        const file = path.join(this.root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
        return file;
    }

    read(rel: string): string {
        return fs.readFileSync(path.join(this.root, rel), "utf8");
    }

    exists(rel: string): boolean {
        return fs.existsSync(path.join(this.root, rel));
    }

    calls(): string[] {
        return fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean);
    }

    /** Runs a node script for real with bash; returns its exit status and output. */
    run(script: string, env: Record<string, string>, stdin = ""): { status: number; stdout: string; stderr: string } {
        const result = spawnSync("bash", [path.join(SCRIPTS, script)], {
            input: stdin,
            encoding: "utf8",
            // A script that blocks (e.g. on a start job that never ends) fails
            // the test instead of hanging it.
            timeout: 30_000,
            env: {
                PATH: `${path.join(FIXTURES, "bin")}:${path.join(this.root, "usr/local/bin")}:/usr/bin:/bin:/usr/sbin:/sbin`,
                PICLUSTER_ROOT: this.root,
                STUB_LOG: this.log,
                STUB_STATE: this.state,
                ...env,
            },
        });
        return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    }
}

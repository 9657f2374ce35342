import * as fs from "fs";
import * as path from "path";

/** The node-side scripts shipped with the program (components/cluster/scripts). */
export type NodeScript =
    | "preflight.sh"
    | "k3s-install.sh"
    | "k3s-uninstall.sh"
    | "node-drain.sh"
    | "node-ready.sh"
    | "node-registries.sh"
    | "gpu-check.sh"
    | "admin-credential.sh"
    | "node-observe.sh"
    | "node-repair.sh";

const cache = new Map<NodeScript, string>();

/** The text of a node script, read once per program run. */
export function scriptText(name: NodeScript): string {
    let text = cache.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");
        cache.set(name, text);
    }
    return text;
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptInvocation {
    /** Non-secret parameters, passed as environment variables of the script's process. */
    env: Record<string, string>;
    /** Run as root through `sudo -n` (fails instead of prompting for a password). */
    sudo: boolean;
}

/**
 * The remote command line that runs a node script: the script's text is
 * passed to `bash -c` so a preview diff shows exactly what changed in it, and
 * nothing has to be copied to the node first. Only non-secret parameters go
 * on the command line; secrets travel on stdin.
 */
export function scriptCommand(name: NodeScript, { env, sudo }: ScriptInvocation): string {
    const assignments = Object.keys(env)
        .sort()
        .map((k) => {
            if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name '${k}'`);
            return `${k}=${shellQuote(env[k])}`;
        });
    const prefix = sudo ? ["sudo", "-n", "env", ...assignments] : assignments.length > 0 ? ["env", ...assignments] : [];
    return [...prefix, "bash", "-c", shellQuote(scriptText(name)), name].join(" ");
}

import * as fs from "fs";
import * as path from "path";
import { stripCommentLines } from "./shellComments";

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
    | "node-repair.sh"
    | "ca-hash.sh"
    | "owner-check.sh"
    | "api-vip.sh";

const SCRIPTS = path.join(__dirname, "scripts");
const cache = new Map<NodeScript, string>();

/**
 * A script sources a shared piece with this line. Run from its file (the
 * script tests), bash sources it; sent to a node as one `bash -c` string,
 * there is no file beside it, so `inlineIncludes` puts the piece in its place.
 */
const INCLUDE = /^source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/(lib\/[a-z0-9-]+\.sh)" # picluster:include$/gm;

/** A script's text with every include line replaced by the included file. */
export function inlineIncludes(text: string, read: (rel: string) => string): string {
    return text.replace(INCLUDE, (_line, rel: string) => read(rel).trimEnd());
}

/**
 * The text of a node script as a node runs it, read once per program run:
 * includes inlined, full-line comments and blank lines left out. The text
 * lands in the state (inputs and outputs of every command that runs it), and
 * the file backend rewrites the whole state twice per step.
 */
export function scriptText(name: NodeScript): string {
    let text = cache.get(name);
    if (text === undefined) {
        const read = (rel: string) => fs.readFileSync(path.join(SCRIPTS, rel), "utf8");
        text = stripCommentLines(inlineIncludes(read(name), read));
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

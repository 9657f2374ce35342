/**
 * The call log the e2e nodes write (k3s stub, systemctl stub and
 * timedatectl stubs): one line per call,
 *   `<epoch seconds> node=<node> event=<event> [key=value ...] [args=<rest of line>]`
 * where `node` is the node the call ran on. Pure functions, unit-tested.
 */
export interface Call {
    /** Seconds since the epoch, with sub-second precision. */
    at: number;
    node: string;
    event: string;
    fields: Record<string, string>;
    /** For kubectl/timedatectl: the command's arguments. */
    args: string[];
    line: string;
}

export function parseCalls(text: string): Call[] {
    const calls: Call[] = [];
    for (const line of text.split("\n")) {
        const m = /^(\d+(?:\.\d+)?) node=(\S+) event=(\S+)(.*)$/.exec(line);
        if (!m) continue;
        let rest = m[4].trim();
        let args: string[] = [];
        const argsAt = rest.indexOf("args=");
        if (argsAt >= 0) {
            args = rest.slice(argsAt + 5).split(/\s+/).filter(Boolean);
            rest = rest.slice(0, argsAt).trim();
        }
        const fields: Record<string, string> = {};
        for (const kv of rest.split(/\s+/).filter(Boolean)) {
            const eq = kv.indexOf("=");
            if (eq > 0) fields[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        calls.push({ at: Number(m[1]), node: m[2], event: m[3], fields, args, line });
    }
    return calls;
}

/** The calls that change something on a node or in the cluster (reads and polls left out). */
export function mutatingCalls(calls: Call[]): Call[] {
    const readOnly = new Set(["get", "wait", "version", "api-resources", "auth"]);
    return calls.filter((c) => {
        if (c.event === "timedatectl") return false;
        if (c.event === "kubectl") return !readOnly.has(c.args[0] ?? "");
        // systemd queries (drift reads ask whether the unit is active).
        if (c.event === "systemctl") return !["is-active", "is-enabled", "status", "show"].includes(c.fields.verb ?? "");
        return true;
    });
}

/** The node a kubectl call acts on: `drain X`, `uncordon X`, `annotate node X`, `patch node X`, `delete node X`. */
export function kubectlTarget(call: Call): string | undefined {
    if (call.event !== "kubectl") return undefined;
    const [verb, a, b] = call.args;
    if (verb === "drain" || verb === "uncordon" || verb === "cordon") return a;
    if ((verb === "annotate" || verb === "delete" || verb === "label" || verb === "patch") && a === "node") return b;
    return undefined;
}

/**
 * Whether a call makes a node (`node`, when given) schedulable again:
 * `kubectl uncordon X`, or node-ready.sh's one merge patch that sets
 * `spec.unschedulable` to null and removes the drain's marks with it.
 */
export function isUncordon(call: Call, node?: string): boolean {
    if (call.event !== "kubectl" || (node !== undefined && kubectlTarget(call) !== node)) return false;
    const [verb, kind] = call.args;
    return verb === "uncordon" || (verb === "patch" && kind === "node" && call.args.join(" ").includes('"unschedulable":null'));
}

/** One node's part in a rolling upgrade: what happened to it, and when. */
export interface UpgradeSequence {
    node: string;
    steps: string[];
    start: number;
    end: number;
}

/** k3s-install.sh (re)starting k3s on `node`: `systemctl restart` of its k3s or k3s-agent unit. */
export function isK3sRestart(call: Call, node: string): boolean {
    return call.node === node && call.event === "systemctl" && call.fields.verb === "restart" && /^k3s(-agent)?$/.test(call.fields.unit ?? "");
}

/**
 * Groups the calls of a rolling upgrade by the node they concern: its drain
 * and uncordon (run on the first server) and the restart of its k3s at the
 * new version (after the installer, or after only the new binary when the
 * installer that already ran there is unchanged).
 */
export function upgradeSequences(calls: Call[], nodes: string[]): UpgradeSequence[] {
    const out: UpgradeSequence[] = [];
    for (const node of nodes) {
        const mine = calls.filter((c) => {
            if (c.event === "kubectl") return (c.args[0] === "drain" && kubectlTarget(c) === node) || isUncordon(c, node);
            return isK3sRestart(c, node);
        });
        if (mine.length === 0) continue;
        out.push({
            node,
            steps: mine.map((c) => (c.event !== "kubectl" ? "restart" : isUncordon(c) ? "uncordon" : c.args[0])),
            start: Math.min(...mine.map((c) => c.at)),
            end: Math.max(...mine.map((c) => c.at)),
        });
    }
    return out.sort((a, b) => a.start - b.start);
}

/**
 * Problems with a rolling upgrade: every node must go drain → restart →
 * uncordon, the nodes one at a time (no overlap), in `expectedOrder`.
 */
export function rollingUpgradeProblems(calls: Call[], expectedOrder: string[]): string[] {
    const problems: string[] = [];
    const seqs = upgradeSequences(calls, expectedOrder);
    const order = seqs.map((s) => s.node);
    if (order.join(",") !== expectedOrder.join(",")) {
        problems.push(`nodes upgraded in order [${order.join(", ")}], expected [${expectedOrder.join(", ")}]`);
    }
    for (const s of seqs) {
        if (s.steps.join(",") !== "drain,restart,uncordon") {
            problems.push(`node ${s.node}: steps ${s.steps.join(" → ")}, expected drain → restart → uncordon`);
        }
    }
    for (let i = 1; i < seqs.length; i++) {
        if (seqs[i].start < seqs[i - 1].end) {
            problems.push(`node ${seqs[i].node} started (${seqs[i].start}) before ${seqs[i - 1].node} finished (${seqs[i - 1].end})`);
        }
    }
    return problems;
}

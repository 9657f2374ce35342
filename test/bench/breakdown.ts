/**
 * Where a rolling upgrade's time goes, node by node, from the e2e call log
 * (test/e2e/lib/calls.ts). Each node's upgrade is cut at the events the
 * stubs log:
 *
 *   drain reads   first kubectl call about the node after the previous
 *                 batch's last uncordon → `kubectl drain` (calls made while
 *                 the drain waited for that batch do not count)
 *   to restart    `drain` → `systemctl restart` of k3s (the drain itself,
 *                 the step hand-over, k3s-install.sh placing the binary,
 *                 and the installer when it changed; install.sh's run, when
 *                 there is one, is also shown on its own)
 *   install.sh    install-start → `systemctl restart` (only when it ran)
 *   unit start    `systemctl restart` → the k3s process starts
 *   k3s start     k3s-start → k3s-ready (S, plus the stub's registration)
 *   to gate       k3s-ready → the Ready gate's `kubectl wait` (the step
 *                 hand-over, node-ready.sh's prologue); 0 when the gate was
 *                 watching already, as it is since the upgrade step returns
 *                 right after the restart
 *   (start → gate) k3s-start → the gate's `kubectl wait` (logs without
 *                 k3s-ready); less than "k3s start" when the gate waited
 *   gate          the later of k3s-ready and the `kubectl wait` →
 *                 `kubectl uncordon` (the watch seeing the node, the uncordon)
 *   to next       `uncordon` → the next batch's first drain read (the
 *                 annotation removal, the next drain's watch seeing it; before
 *                 the drain waited on the first server, the step hand-over)
 *
 * Usage: `npx tsx test/bench/breakdown.ts <calls.log> <node>...` prints the
 * phases of the last upgrade of those nodes (in upgrade order).
 */
import * as fs from "fs";
import { Call, isK3sRestart, isUncordon, kubectlTarget, parseCalls } from "../e2e/lib/calls";

export const PHASES = ["drain reads", "to restart", "install.sh", "unit start", "k3s start", "to gate", "(start → gate)", "gate", "to next"] as const;
export type Phase = (typeof PHASES)[number];

/** The phases of each node's upgrade, in seconds (undefined where an event is missing). */
export function upgradeBreakdown(calls: Call[], nodes: string[]): { node: string; phases: Partial<Record<Phase, number>> }[] {
    const about = (c: Call, node: string) =>
        c.event === "kubectl" && (kubectlTarget(c) === node || (c.args[0] === "get" && c.args[1] === "node" && c.args[2] === node));
    const rows = nodes.map((node) => {
        const drain = calls.find((c) => c.event === "kubectl" && c.args[0] === "drain" && c.args[1] === node);
        if (!drain) return undefined;
        const after = (pred: (c: Call) => boolean, from: number) => calls.find((c) => c.at >= from && pred(c));
        // Reads after the last uncordon of another node before this drain: not those made while waiting for it.
        const previousUncordon = calls.filter((c) => isUncordon(c) && kubectlTarget(c) !== node && c.at < drain.at).pop();
        const from = Math.max(drain.at - 10, previousUncordon?.at ?? -Infinity);
        const reads = calls.filter((c) => c.at <= drain.at && c.at > from && about(c, node));
        const restart = after((c) => isK3sRestart(c, node), drain.at);
        const installStart = restart && calls.find((c) => c.node === node && c.event === "install-start" && c.at >= drain.at && c.at <= restart.at);
        const k3sStart = restart && after((c) => c.node === node && c.event === "k3s-start", restart.at);
        const k3sReady = k3sStart && after((c) => c.node === node && c.event === "k3s-ready", k3sStart.at);
        // The gate's watch: the first `kubectl wait` about the node after the restart.
        const gate = restart && after((c) => c.event === "kubectl" && c.args[0] === "wait" && c.args.includes(`node/${node}`), restart.at);
        const uncordon = after((c) => isUncordon(c, node), drain.at);
        return { node, first: reads[0] ?? drain, drain, installStart, restart, k3sStart, k3sReady, gate, uncordon };
    });
    const found = rows.filter((r): r is NonNullable<typeof r> => r !== undefined).sort((a, b) => a.first.at - b.first.at);
    const d = (a?: Call, b?: Call) => (a && b ? b.at - a.at : undefined);
    return found.map((r, i) => ({
        node: r.node,
        phases: {
            "drain reads": d(r.first, r.drain),
            "to restart": d(r.drain, r.restart),
            "install.sh": d(r.installStart, r.restart),
            "unit start": d(r.restart, r.k3sStart),
            "k3s start": d(r.k3sStart, r.k3sReady),
            "to gate": r.k3sReady && r.gate ? Math.max(0, r.gate.at - r.k3sReady.at) : undefined,
            "(start → gate)": d(r.k3sStart, r.gate),
            // 0 when the uncordon came before the stub logged k3s-ready (it logs after posting the status the gate saw).
            gate: r.gate && r.uncordon ? Math.max(0, r.uncordon.at - Math.max(r.gate.at, r.k3sReady?.at ?? r.gate.at)) : undefined,
            "to next": d(r.uncordon, r.uncordon && found.slice(i + 1).find((n) => n.first.at > (r.uncordon as Call).at)?.first),
        },
    }));
}

/** Node names without the dash-ended prefix they all share: "e2e-server-1" heads its column as "server-1". */
export function columnNames(names: string[]): string[] {
    let shared = 0;
    while (names.length > 1 && names.every((n) => n[shared] !== undefined && n[shared] === names[0][shared])) shared++;
    const cut = names.length > 1 ? names[0].lastIndexOf("-", shared - 1) + 1 : 0;
    return names.map((n) => n.slice(cut));
}

/** A table of the phases, one column per node, and the median of each phase. */
export function formatBreakdown(rows: ReturnType<typeof upgradeBreakdown>): string {
    const cell = (x?: number) => (x === undefined ? "-" : x.toFixed(2)).padStart(8);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const lines = [`${"phase".padEnd(14)}${columnNames(rows.map((r) => r.node)).map((n) => n.slice(-8).padStart(9)).join("")}  median`];
    for (const p of PHASES) {
        const xs = rows.map((r) => r.phases[p]).filter((x): x is number => x !== undefined);
        lines.push(`${p.padEnd(14)}${rows.map((r) => ` ${cell(r.phases[p])}`).join("")}  ${xs.length ? median(xs).toFixed(2) : "-"}`);
    }
    return lines.join("\n");
}

if (require.main === module) {
    const [file, ...nodes] = process.argv.slice(2);
    const calls = parseCalls(fs.readFileSync(file, "utf8"));
    // The last upgrade: from the last drain of the first node named on.
    const lastDrain = calls.filter((c) => c.event === "kubectl" && c.args[0] === "drain" && c.args[1] === nodes[0]).pop();
    const from = lastDrain ? lastDrain.at - 10 : 0;
    console.log(formatBreakdown(upgradeBreakdown(calls.filter((c) => c.at >= from), nodes)));
}

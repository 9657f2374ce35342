/**
 * e2e steps of issue #16: drift read from the nodes by `preview --refresh`
 * and repaired by `up --refresh`; upgrades in batches of agentConcurrency.
 * run.ts calls these with its own `step` and `check`.
 */
import * as fs from "fs";
import * as path from "path";
import { Call, kubectlTarget, mutatingCalls, upgradeSequences } from "./lib/calls";
import { Harness, run } from "./harness";

type Step = (name: string, body: () => string | void) => boolean;
type Check = (ok: boolean, message: string) => asserts ok;

interface PreviewStep {
    op: string;
    urn: string;
    detailedDiff?: Record<string, unknown>;
    oldState?: { outputs?: { repairs?: string[] } };
}

/** The resources a `preview --json` would change, as `op name`, and the repairs it shows. */
export function changes(stdout: string): { changed: string[]; repairs: string[]; kubernetes: string[] } {
    const steps = (JSON.parse(stdout) as { steps?: PreviewStep[] }).steps ?? [];
    const moving = steps.filter((s) => s.op !== "same" && s.op !== "refresh" && s.op !== "read");
    const changed = moving.map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    const repairs = steps.flatMap((s) => s.oldState?.outputs?.repairs ?? []);
    // The type is the URN's last type segment: "…::picluster:…$kubernetes:core/v1:Namespace::name".
    const typeOf = (urn: string) => (urn.split("::").slice(-2)[0] ?? "").split("$").pop() ?? "";
    const kubernetes = moving.filter((s) => /^(kubernetes:|pulumi:providers:kubernetes$)/.test(typeOf(s.urn))).map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    return { changed: changed.sort(), repairs, kubernetes: kubernetes.sort() };
}

/** Runs a command on a node as its root user, "by hand" (an operator's SSH session). */
function byHand(h: Harness, node: string, command: string): void {
    const n = h.node(node);
    const r = run("ssh", [
        "-i", path.join(h.dir, "client_key"), "-p", String(n.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", `${n.user ?? "root"}@127.0.0.1`, command,
    ]);
    if (r.code !== 0) throw new Error(`ssh ${node} '${command}' failed: ${r.stderr.trim()}`);
}

function loginDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
    return Object.fromEntries(Object.keys(after).map((n) => [n, after[n] - (before[n] ?? 0)]));
}

/** Each node's drift-repair generation (`<node>-observed`), from `pulumi stack export`. */
export function repairGenerations(exported: string): Record<string, number> {
    const resources = (JSON.parse(exported) as { deployment: { resources?: { urn: string; type: string; outputs?: { generation?: number } }[] } }).deployment.resources ?? [];
    return Object.fromEntries(
        resources.filter((r) => r.type === "pulumi-nodejs:dynamic/picluster:NodeObservation").map((r) => [r.urn.split("::").pop() as string, r.outputs?.generation ?? -1]),
    );
}

/**
 * One drift case: break the node, then `preview --refresh` names only it
 * with exactly one SSH login per node and no change made; `up --refresh`
 * repairs it alone; the next `preview --refresh` is clean.
 */
function driftCase(h: Harness, check: Check, node: string, breakIt: () => void, repaired: (calls: Call[]) => string): string {
    breakIt();
    const nodeNames = h.nodes.map((n) => n.name);
    let logins = h.sshLogins();
    let calls = h.calls().length;
    const p = h.pulumiOk(["preview", "--refresh", "--diff", "--json"]);
    const seen = changes(p.stdout);
    const perNode = loginDelta(logins, h.sshLogins());
    check(nodeNames.every((n) => perNode[n] === 1), `preview --refresh SSH logins per node: ${JSON.stringify(perNode)}, expected 1 each`);
    check(mutatingCalls(h.calls().slice(calls)).length === 0, `preview --refresh changed something:\n${h.calls().slice(calls).map((c) => c.line).join("\n")}`);
    check(seen.changed.length > 0 && seen.changed.every((c) => c.split(" ")[1].startsWith(`${node}-`)), `preview --refresh changes: [${seen.changed.join(", ")}], expected only ${node}'s`);
    check(seen.changed.includes(`update ${node}-observed`), `the observation of ${node} is not in the preview: [${seen.changed.join(", ")}]`);

    calls = h.calls().length;
    const u = h.pulumiOk(["up", "--refresh", "--yes", "--skip-preview"]);
    const during = mutatingCalls(h.calls().slice(calls));
    const elsewhere = during.filter((c) => c.node !== node && kubectlTarget(c) !== node);
    check(elsewhere.length === 0, `up --refresh touched other nodes:\n${elsewhere.map((c) => c.line).join("\n")}`);
    const what = repaired(during);

    logins = h.sshLogins();
    calls = h.calls().length;
    const clean = h.pulumiOk(["preview", "--refresh", "--json"]);
    const left = changes(clean.stdout).changed;
    check(left.length === 0, `preview --refresh after the repair still changes: [${left.join(", ")}]`);
    const again = loginDelta(logins, h.sshLogins());
    check(nodeNames.every((n) => again[n] === 1), `clean preview --refresh SSH logins per node: ${JSON.stringify(again)}`);
    check(mutatingCalls(h.calls().slice(calls)).length === 0, "the clean preview --refresh changed something");
    return `preview --refresh ${p.seconds.toFixed(1)} s: [${seen.changed.join(", ")}]${seen.repairs.length ? ` (${seen.repairs.join("; ")})` : ""}, 1 login per node; up --refresh ${u.seconds.toFixed(1)} s: ${what}; then preview --refresh clean (${clean.seconds.toFixed(1)} s, 1 login per node)`;
}

/** Steps l and m on the main scenario's healthy cluster. */
export function driftSteps(h: Harness, step: Step, check: Check, agent: string, otherNode: string): void {
    step(`l. k3s uninstalled by hand on ${agent}: preview --refresh names only it, up --refresh reinstalls it`, () =>
        driftCase(
            h,
            check,
            agent,
            () => byHand(h, agent, "/usr/local/bin/k3s-agent-uninstall.sh"),
            (calls) => {
                check(calls.some((c) => c.node === agent && c.event === "install"), `no reinstall on ${agent}:\n${calls.map((c) => c.line).join("\n")}`);
                const node = h.kubectlJson<{ metadata: { labels?: Record<string, string> } }>(["get", "node", agent]);
                check(node.metadata.labels?.["picluster.io/tier"] === "worker", `${agent} came back without its labels`);
                return `${agent} reinstalled, labels back`;
            },
        ),
    );
    step(`m. config.yaml edited by hand on ${otherNode}: preview --refresh names only it, up --refresh rewrites it`, () => {
        const file = path.join(h.node(otherNode).root, "etc-rancher", "k3s", "config.yaml");
        const written = fs.readFileSync(file, "utf8");
        return driftCase(
            h,
            check,
            otherNode,
            () => fs.appendFileSync(file, "node-label:\n  - edited=by-hand\n"),
            (calls) => {
                check(fs.readFileSync(file, "utf8") === written, `${file} is not what picluster wrote`);
                check((fs.statSync(file).mode & 0o777) === 0o600, `${file} is not 0600 after the rewrite`);
                check(calls.some((c) => c.node === otherNode && c.event === "systemctl" && c.fields.verb === "restart"), `k3s was not restarted on ${otherNode}`);
                check(!calls.some((c) => c.event === "install"), "a config rewrite reinstalled k3s");
                return `config.yaml on ${otherNode} rewritten (0600), its service restarted, nothing reinstalled`;
            },
        );
    });
}

/** A node's time out of service in an upgrade: from its drain to its uncordon. */
export function downIntervals(calls: Call[], nodes: string[]): { node: string; from: number; to: number }[] {
    return upgradeSequences(calls, nodes).map((s) => ({ node: s.node, from: s.start, to: s.end }));
}

/** The most intervals open at once. */
export function maxOverlap(intervals: { from: number; to: number }[]): number {
    const edges = intervals.flatMap((i) => [[i.from, 1] as const, [i.to, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (open += d));
    return most;
}

/** Groups overlapping intervals: the batches an upgrade actually ran. */
export function batchesOf(intervals: { node: string; from: number; to: number }[]): string[][] {
    const batches: { nodes: string[]; to: number }[] = [];
    for (const i of [...intervals].sort((a, b) => a.from - b.from)) {
        const last = batches[batches.length - 1];
        if (last && i.from < last.to) {
            last.nodes.push(i.node);
            last.to = Math.max(last.to, i.to);
        } else batches.push({ nodes: [i.node], to: i.to });
    }
    return batches.map((b) => b.nodes);
}

/** Step n: 1 server + 4 agents, agentConcurrency 2, a k3s upgrade. */
export function batchStep(toolchainPath: string, step: Step, check: Check, fromVersion: string, toVersion: string): void {
    const server = "e2e-b-server";
    const agents = [1, 2, 3, 4].map((i) => `e2e-b-agent-${i}`);
    const h = new Harness({
        stack: `${process.env.E2E_STACK ?? "e2e"}-batch`,
        toolchainPath,
        keep: process.env.E2E_KEEP === "1",
        nodes: [{ name: server, role: "server" }, ...agents.map((name) => ({ name, role: "agent" as const }))],
    });
    try {
        step("n. upgrade with agentConcurrency 2 on 1 server + 4 agents: 3 batches, at most 2 agents down, none before the server is done", () => {
            h.start();
            h.initStack({ ...h.clusterConfig(), upgrade: { agentConcurrency: 2 } });
            h.pulumiOk(["up", "--yes", "--skip-preview"]);
            h.editCluster((c) => {
                c.k3sVersion = toVersion;
            });
            const calls = h.calls().length;
            const r = h.pulumiOk(["up", "--yes", "--skip-preview"]);
            const upgrade = h.calls().slice(calls);
            const down = downIntervals(upgrade, [server, ...agents]);
            const seqs = upgradeSequences(upgrade, [server, ...agents]);
            const bad = seqs.filter((s) => s.steps.join(",") !== "drain,restart,uncordon");
            check(seqs.length === 5 && bad.length === 0, `upgrade sequences: ${JSON.stringify(seqs)}`);
            const serverDone = down.find((d) => d.node === server)?.to ?? Infinity;
            const early = down.filter((d) => d.node !== server && d.from < serverDone);
            check(early.length === 0, `agents drained before ${server} was done: ${early.map((d) => d.node).join(", ")}`);
            const most = maxOverlap(down.filter((d) => d.node !== server));
            check(most <= 2, `${most} agents were down at once`);
            const batches = batchesOf(down);
            check(batches.length === 3, `the upgrade ran ${batches.length} batches: ${JSON.stringify(batches)}`);
            const versions = h.kubectlJson<{ items: { metadata: { name: string }; status?: { nodeInfo?: { kubeletVersion?: string } } }[] }>(["get", "nodes"]).items;
            check(versions.every((n) => n.status?.nodeInfo?.kubeletVersion === toVersion), `not every node runs ${toVersion} (from ${fromVersion})`);
            return `up ${r.seconds.toFixed(1)} s; batches ${batches.map((b) => `[${b.join(", ")}]`).join(" → ")}; at most ${most} agents down at once`;
        });
    } finally {
        h.stop();
    }
}

/**
 * Benchmark of the real engine on the e2e harness (docs/e2e.md):
 *   - cold `up` of 1 server + N agents whose installer sleeps S seconds:
 *     the first server installs alone, then all agents join in parallel, so
 *     the install phase should take close to 2·S, not (N+1)·S;
 *   - no-op `preview` and no-op `up` of the same stack;
 *   - a k3s upgrade at each `cluster.upgrade.agentConcurrency` c: the ideal
 *     is (N_servers + ⌈N_agents / c⌉)·S plus 0.5 s per node.
 * Each figure is printed beside its ideal, as a ratio, and each upgrade's
 * time node by node and phase by phase (breakdown.ts).
 * Env: E2E_BENCH_AGENTS (default 4), E2E_BENCH_SLEEP (default 5),
 * E2E_BENCH_REPEAT (no-op runs, default 3), E2E_BENCH_CONCURRENCY (the
 * upgrades' agentConcurrency values, default "1,2"). Needs the toolchain
 * (scripts/toolchain.sh); without it the benchmark says so and exits 0.
 */
import { Call, upgradeSequences } from "../e2e/lib/calls";
import { formatBreakdown, upgradeBreakdown } from "./breakdown";
import { Harness, HarnessNode, serviceCharts, toolchain } from "../e2e/harness";

const agents = Number(process.env.E2E_BENCH_AGENTS ?? 4);
const sleep = Number(process.env.E2E_BENCH_SLEEP ?? 5);
const repeat = Number(process.env.E2E_BENCH_REPEAT ?? 3);
const concurrencies = (process.env.E2E_BENCH_CONCURRENCY ?? "1,2").split(",").map(Number);

/** Span of an upgrade, from the first drain to the last uncordon, from the call log. */
function upgradeSpan(calls: Call[], nodes: string[]): number {
    const seqs = upgradeSequences(calls, nodes);
    return Math.max(...seqs.map((s) => s.end)) - Math.min(...seqs.map((s) => s.start));
}

/** `figure s (ideal s, ratio r)`. */
const vsIdeal = (figure: number, ideal: number) => `${figure.toFixed(1)} s  (ideal ${ideal.toFixed(1)} s, ratio ${(figure / ideal).toFixed(2)})`;

/**
 * Span of the install phase, from the call log: from the first installer
 * start to the last Ready gate (`kubectl wait --for=condition=Ready`, which
 * returns as soon as the node is Ready), i.e. until picluster knows every
 * node is up. Also the most installer runs at once (install.sh itself runs
 * with INSTALL_K3S_SKIP_START, so these are short).
 */
function installPhase(calls: Call[]): { span: number; maxConcurrent: number } {
    const edges: [number, number][] = [];
    let first = Infinity;
    let last = -Infinity;
    for (const c of calls) {
        if (c.event === "install-start") {
            edges.push([c.at, 1]);
            first = Math.min(first, c.at);
        } else if (c.event === "install") {
            edges.push([c.at, -1]);
        } else if (c.event === "kubectl" && c.args[0] === "wait" && c.args.includes("--for=condition=Ready")) {
            last = Math.max(last, c.at);
        }
    }
    let running = 0;
    let maxConcurrent = 0;
    for (const [, d] of edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
        running += d;
        maxConcurrent = Math.max(maxConcurrent, running);
    }
    return { span: last - first, maxConcurrent };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): number {
    const tc = toolchain();
    if (!tc.ok) {
        console.log(`bench:e2e skipped: the toolchain is not available:\n${tc.why}`);
        return 0;
    }
    const nodes: HarnessNode[] = [
        { name: "bench-server-1", role: "server" },
        ...Array.from({ length: agents }, (_, i) => ({ name: `bench-agent-${i + 1}`, role: "agent" as const })),
    ];
    // The e2e stack: every service from the local chart repo, the agent pool.
    const h = new Harness({
        stack: process.env.E2E_BENCH_STACK ?? "e2e-bench",
        toolchainPath: tc.path,
        nodes,
        installSleep: sleep,
        charts: serviceCharts(),
        keep: process.env.E2E_KEEP === "1",
    });
    process.on("SIGINT", () => {
        h.stop();
        process.exit(130);
    });
    try {
        h.start();
        h.initStack(h.clusterConfig(), { services: h.servicesConfig(), ...Harness.agentsConfig() });
        const cold = h.pulumiOk(["up", "--yes", "--skip-preview"]);
        const phase = installPhase(h.calls());
        const previews: number[] = [];
        const ups: number[] = [];
        for (let i = 0; i < repeat; i++) {
            previews.push(h.pulumiOk(["preview", "--expect-no-changes"]).seconds);
            ups.push(h.pulumiOk(["up", "--yes", "--skip-preview"]).seconds);
        }
        const upgrades: { c: number; up: number; span: number; breakdown: string }[] = [];
        concurrencies.forEach((c, i) => {
            h.editCluster((cluster) => {
                cluster.k3sVersion = `v1.33.${6 + i}+k3s1`;
                cluster.upgrade = { agentConcurrency: c };
            });
            const before = h.calls().length;
            const r = h.pulumiOk(["up", "--yes", "--skip-preview"]);
            const calls = h.calls().slice(before);
            const names = nodes.map((n) => n.name);
            upgrades.push({ c, up: r.seconds, span: upgradeSpan(calls, names), breakdown: formatBreakdown(upgradeBreakdown(calls, names)) });
        });
        const destroy = h.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        console.log(`e2e benchmark: 1 server + ${agents} agents, installer sleeps S=${sleep} s, all services + agent pool`);
        console.log(`  cold up                 ${cold.seconds.toFixed(1)} s`);
        console.log(`  install phase           ${vsIdeal(phase.span, 2 * sleep)}; target ratio ≤ 1.1; up to ${phase.maxConcurrent} installer runs at once`);
        console.log(`  no-op preview (median)  ${median(previews).toFixed(1)} s  [${previews.map((s) => s.toFixed(1)).join(", ")}]`);
        console.log(`  no-op up (median)       ${median(ups).toFixed(1)} s  [${ups.map((s) => s.toFixed(1)).join(", ")}]`);
        console.log(`  destroy                 ${destroy.seconds.toFixed(1)} s`);
        for (const u of upgrades) {
            const ideal = (1 + Math.ceil(agents / u.c)) * sleep;
            const budget = ideal + 0.5 * nodes.length;
            console.log(
                `  upgrade c=${u.c}             ${vsIdeal(u.span, ideal)}; target ≤ ${budget.toFixed(1)} s (ratio ${(budget / ideal).toFixed(2)}); whole up ${u.up.toFixed(1)} s`,
            );
            console.log(u.breakdown.replace(/^/gm, "      "));
        }
        return 0;
    } catch (e) {
        console.error(e instanceof Error ? e.message : e);
        return 1;
    } finally {
        h.stop();
    }
}

process.exitCode = main();

/**
 * Benchmark of the real engine on the e2e harness (docs/e2e.md):
 *   - cold `up` of 1 server + N agents whose installer sleeps S seconds:
 *     the first server installs alone, then all agents join in parallel, so
 *     the install phase should take close to 2·S, not (N+1)·S;
 *   - no-op `preview` and no-op `up` of the same stack.
 * Env: E2E_BENCH_AGENTS (default 4), E2E_BENCH_SLEEP (default 5),
 * E2E_BENCH_REPEAT (no-op runs, default 3). Needs the toolchain
 * (scripts/toolchain.sh); without it the benchmark says so and exits 0.
 */
import { Call } from "../e2e/lib/calls";
import { Harness, HarnessNode, serviceCharts, toolchain } from "../e2e/harness";

const agents = Number(process.env.E2E_BENCH_AGENTS ?? 4);
const sleep = Number(process.env.E2E_BENCH_SLEEP ?? 5);
const repeat = Number(process.env.E2E_BENCH_REPEAT ?? 3);

/** Span of the install phase and the most installs running at once, from the call log. */
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
        const destroy = h.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        console.log(`e2e benchmark: 1 server + ${agents} agents, installer sleeps S=${sleep} s, all services + agent pool`);
        console.log(`  cold up                 ${cold.seconds.toFixed(1)} s`);
        console.log(
            `  install phase           ${phase.span.toFixed(1)} s (2·S = ${2 * sleep} s, (N+1)·S = ${(agents + 1) * sleep} s); up to ${phase.maxConcurrent} installs at once`,
        );
        console.log(`  no-op preview (median)  ${median(previews).toFixed(1)} s  [${previews.map((s) => s.toFixed(1)).join(", ")}]`);
        console.log(`  no-op up (median)       ${median(ups).toFixed(1)} s  [${ups.map((s) => s.toFixed(1)).join(", ")}]`);
        console.log(`  destroy                 ${destroy.seconds.toFixed(1)} s`);
        return 0;
    } catch (e) {
        console.error(e instanceof Error ? e.message : e);
        return 1;
    } finally {
        h.stop();
    }
}

process.exitCode = main();

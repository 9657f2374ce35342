/**
 * Program evaluation time under mocks: how long building the resource graph
 * takes for the `pi` stack and for synthetic clusters of 5, 50 and 200 nodes
 * (one server, the rest agents). Prints the median of several runs per size
 * and the time per node, to show growth is linear.
 *
 *   npm run bench
 */
import { planStack } from "../../plan/plan";
import { performance } from "perf_hooks";
import { Picluster } from "../../components/picluster";
import { objectSource } from "../../config/source";
import { limitStackTraces } from "../../config/runtime";
import { installMocks, registeredResources, resetRegistry } from "../helpers/mocks";
import { stackSource, TEST_SSH_KEY } from "../helpers/stacks";

// As index.ts does; PICLUSTER_STACK_TRACE_LIMIT=10 measures the SDK default.
limitStackTraces();
installMocks();

function syntheticCluster(nodes: number): Record<string, unknown> {
    return {
        k3sVersion: "v1.33.5+k3s1",
        prepare: true,
        nodes: Array.from({ length: nodes }, (_, i) => ({
            name: i === 0 ? "cp-1" : `pi-${i}`,
            host: `10.${Math.floor(i / 250)}.${i % 250}.${10 + (i % 200)}`,
            user: "pi",
            role: i === 0 ? "server" : "agent",
            arch: i === 0 ? "amd64" : "arm64",
            labels: { "picluster.io/tier": i === 0 ? "control-plane" : "worker" },
        })),
    };
}

async function evaluate(source: ReturnType<typeof objectSource>): Promise<{ ms: number; resources: number }> {
    resetRegistry();
    const start = performance.now();
    const platform = new Picluster("picluster", planStack(source));
    await new Promise<void>((resolve) => platform.kubeconfig.apply(() => resolve()));
    const resources = (await registeredResources()).length;
    return { ms: performance.now() - start, resources };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    const runs = Number(process.env.BENCH_RUNS ?? 5);
    const cases: [string, () => ReturnType<typeof objectSource>][] = [
        ["pi stack", () => stackSource("pi")],
        ...[5, 50, 200].map((n): [string, () => ReturnType<typeof objectSource>] => [
            `${n} nodes`,
            () => objectSource("bench", { cluster: syntheticCluster(n), sshPrivateKey: TEST_SSH_KEY }, ["sshPrivateKey"]),
        ]),
    ];
    await evaluate(cases[0][1]()); // warm-up: module loading and JIT
    console.log(`program evaluation under mocks, median of ${runs} runs, Error.stackTraceLimit=${Error.stackTraceLimit}`);
    console.log("case        resources   median ms   ms/node");
    for (const [label, source] of cases) {
        const results = [];
        for (let i = 0; i < runs; i++) results.push(await evaluate(source()));
        const ms = median(results.map((r) => r.ms));
        const nodes = (source().get("cluster") as { nodes: unknown[] }).nodes.length;
        console.log(`${label.padEnd(10)} ${String(results[0].resources).padStart(10)} ${ms.toFixed(1).padStart(11)} ${(ms / nodes).toFixed(2).padStart(9)}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});

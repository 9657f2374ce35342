/*
 * npm run charts -- [--online] [STACK...]
 *
 * Fills the chart cache (${PICLUSTER_CHARTS_DIR:-~/.cache/picluster-charts})
 * with every chart the stacks pin (default: every Pulumi.<stack>.yaml), at
 * the pinned version, with its dependencies, and each repository's index;
 * without STACK also those of the chart layer's own stacks (test/charts/stacks).
 * Offline (default) from the charts' source repositories under
 * ${PICLUSTER_CHART_SOURCES:-/work/.mirror}; --online from the chart
 * repositories with `helm pull`. Nothing lands in the repository.
 */
import * as fs from "fs";
import * as path from "path";
import { cacheDir, ChartPin, fillCache } from "./charts/cache";
import { layerStackPins, layerStacks, stackPins } from "./charts/stacks";
import { K3S_TRAEFIK_CHART } from "./charts/k3sBundled";
import { helpRequested } from "./lib/cli";

const USAGE = "usage: npm run charts -- [--online] [STACK...]\n  fills the chart cache with every chart the stacks pin (docs/charts.md)\n";

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const root = path.join(__dirname, "..");
    const online = argv.includes("--online");
    let stacks = argv.filter((a) => !a.startsWith("--"));
    if (stacks.length === 0) {
        stacks = fs
            .readdirSync(root)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => !!s);
    }
    const pins: ChartPin[] = [];
    const add = (list: ChartPin[]) => {
        for (const pin of list) if (!pins.some((p) => p.repo === pin.repo && p.chart === pin.chart && p.version === pin.version)) pins.push(pin);
    };
    for (const stack of stacks) add(stackPins(root, stack));
    if (argv.filter((a) => !a.startsWith("--")).length === 0) for (const stack of layerStacks(root)) add(layerStackPins(root, stack));
    // The Traefik chart k3s bundles, which the chart layer and the e2e suite render and take CRDs from (charts/k3sBundled.ts).
    add([K3S_TRAEFIK_CHART]);
    const results = await fillCache(pins, { online });
    for (const r of results) {
        process.stdout.write(`${r.error ? "FAILED" : "ok    "} ${r.pin.chart} ${r.pin.version} (${r.pin.repo})${r.error ? `: ${r.error}` : ""}\n`);
    }
    process.stdout.write(`${cacheDir()}: ${results.filter((r) => !r.error).length} of ${results.length} charts (${online ? "online" : "offline"})\n`);
    return results.some((r) => r.error) ? 1 : 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        process.stderr.write(`charts failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    },
);

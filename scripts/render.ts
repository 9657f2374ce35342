/*
 * npm run render -- <stack> [--out DIR]
 *
 * Builds the program for Pulumi.<stack>.yaml offline — no Pulumi CLI, no
 * cluster, no SSH — and writes what it would create to out/<stack>/:
 * Kubernetes objects, Helm releases, node scripts with their parameters and
 * each node's k3s config, secrets redacted. `diff -r out/dev out/pi` shows
 * what promotion would change.
 *
 * With --manifests, also what each release's real chart renders from the
 * program's values (secrets as the same stand-ins), per release under
 * out/<stack>/charts/ — `helm template` with the chart cache (npm run charts).
 */
import * as path from "path";
import { leakedSecrets } from "./lib/leaks";
import type { RegisteredResource } from "./lib/offlineEngine";
import { renderStack } from "./lib/render";
import { writeRendered } from "./lib/renderFiles";
import { offlineSource } from "./lib/stackFile";
import { loadConfig } from "../config/load";
import { releasesOfRegistered, renderChartFiles } from "./charts/releases";
import { helpRequested } from "./lib/cli";

const USAGE = "usage: npm run render -- <stack> [--manifests] [--out DIR] [--root DIR]\n  e.g. npm run render -- pi && diff -r out/dev out/pi\n";

async function main(argv: string[]): Promise<number> {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const outAt = argv.indexOf("--out");
    const rootAt = argv.indexOf("--root");
    const root = rootAt >= 0 ? path.resolve(argv[rootAt + 1]) : path.join(__dirname, "..");
    const outBase = outAt >= 0 ? path.resolve(argv[outAt + 1]) : path.join(root, "out");
    const stacks = argv.filter((a, i) => !a.startsWith("--") && !(outAt >= 0 && i === outAt + 1) && !(rootAt >= 0 && i === rootAt + 1));
    if (stacks.length !== 1) {
        process.stderr.write(USAGE);
        return 2;
    }
    const stack = stacks[0];
    const registered: RegisteredResource[] = [];
    const files = await renderStack({ root, stack, program: () => require(path.join(root, "index")), registered });
    if (argv.includes("--manifests")) {
        // The version the program installs: the validated config's (the build above has already held it).
        const k3sVersion = loadConfig(offlineSource(root, stack)).cluster.k3sVersion;
        for (const [k, v] of renderChartFiles(releasesOfRegistered(registered), k3sVersion)) files.set(k, v);
        const leaks = leakedSecrets(files);
        if (leaks.length > 0) throw new Error(`a secret stand-in reached the chart manifests in: ${leaks.join(", ")}`);
    }
    const dir = path.join(outBase, stack);
    writeRendered(dir, files);
    const count = (prefix: string) => [...files.keys()].filter((f) => f.startsWith(prefix)).length;
    const charts = count("charts/") > 0 ? `, ${count("charts/")} chart manifests` : "";
    process.stdout.write(`${dir}: ${count("k8s/")} Kubernetes objects, ${count("helm/")} Helm releases, ${count("nodes/")} node files${charts}\n`);
    return 0;
}

// A program error surfaces inside an Output; report it once and fail.
process.on("unhandledRejection", (e) => {
    process.stderr.write(`render failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        process.stderr.write(`render failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    },
);

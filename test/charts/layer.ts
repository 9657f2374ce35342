/*
 * Shared set-up of the chart layer: its prerequisites (fail loudly when one
 * is missing, never skip) and both stacks rendered once with --manifests.
 */
import * as fs from "fs";
import * as path from "path";
import { cacheDir, helmBin } from "../../scripts/charts/cache";
import { PodSecurityJudge } from "../../scripts/charts/checks";
import { podSecurityBin, upstreamJudge } from "../../scripts/charts/podSecurity";
import { renderInChildAsync } from "../../scripts/charts/stacks";
import { execFileSync } from "child_process";

export const ROOT = path.join(__dirname, "..", "..");
export const STACKS = ["dev", "pi"] as const;

/** What the layer needs; throws one message naming each missing piece and how to get it. */
export function prerequisites(): { judge: PodSecurityJudge } {
    const missing: string[] = [];
    try {
        execFileSync(helmBin(), ["version", "--short"], { stdio: "ignore" });
    } catch {
        missing.push("helm (bash scripts/toolchain.sh helm)");
    }
    const psa = podSecurityBin();
    if (!psa || !fs.existsSync(psa)) missing.push("pod-security (bash scripts/toolchain.sh pod-security)");
    if (!fs.existsSync(cacheDir())) missing.push(`the chart cache at ${cacheDir()} (npm run charts, or npm run charts -- --online)`);
    if (missing.length > 0) throw new Error(`the chart layer cannot run; missing: ${missing.join("; ")}`);
    return { judge: upstreamJudge(psa!) };
}

/** Both stacks rendered with --manifests, by stack name (a chart missing from the cache fails the render, naming it). */
export async function renderBoth(): Promise<Record<(typeof STACKS)[number], Map<string, string>>> {
    const [dev, pi] = await Promise.all([renderInChildAsync(ROOT, "dev", { manifests: true }), renderInChildAsync(ROOT, "pi", { manifests: true })]);
    return { dev, pi };
}

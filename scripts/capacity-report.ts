/**
 * Prints the per-node capacity plan of a stack without running Pulumi:
 *
 *   npx tsx scripts/capacity-report.ts pi            # reads Pulumi.pi.yaml
 *   npx tsx scripts/capacity-report.ts pi path/to/Pulumi.pi.yaml
 *
 * Exits 1 when the enabled services and apps do not fit the declared nodes
 * (the same check `pulumi preview` runs), 2 when the config is invalid.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type CapacityPlan } from "../plan/capacity";
import { CapacityError, formatNodePlan } from "../plan/capacityText";
import { ConfigError, loadConfig, secretsOf } from "../config/load";
import { objectSource } from "../config/source";
import { fillSshKeys, OFFLINE_SSH_KEY, stackConfigValues } from "./lib/stackFile";
import { buildPlan } from "../plan/plan";
import { helpRequested } from "./lib/cli";

const USAGE = "usage: npx tsx scripts/capacity-report.ts <stack> [Pulumi.<stack>.yaml]\n";

/**
 * The report text and whether everything fits, from the program's own plan:
 * the same checks and the same demands `pulumi preview` uses. Secrets are
 * stand-ins; only their presence matters here.
 */
export function capacityReport(config: Record<string, unknown>): { text: string; fits: boolean; problems: string[] } {
    const { values, secretKeys } = stackConfigValues({ config });
    fillSshKeys(values, secretKeys, () => OFFLINE_SSH_KEY, true);
    const source = objectSource("report", values, secretKeys);
    let capacity: CapacityPlan | undefined;
    try {
        capacity = buildPlan(loadConfig(source), secretsOf(source)).capacity;
    } catch (e) {
        if (e instanceof ConfigError) return { text: "", fits: false, problems: e.problems };
        if (!(e instanceof CapacityError)) throw e;
        capacity = e.plan;
    }
    if (!capacity) return { text: "No cluster.nodes declared (existing cluster): nothing to plan.", fits: true, problems: [] };
    return { text: formatNodePlan(capacity), fits: capacity.fits, problems: [] };
}

function main(argv: string[]): number {
    if (helpRequested(argv)) {
        process.stdout.write(USAGE);
        return 0;
    }
    const [stack, file] = argv;
    if (!stack) {
        process.stderr.write(USAGE);
        return 2;
    }
    const configPath = file ?? path.resolve(__dirname, "..", `Pulumi.${stack}.yaml`);
    const doc = (yaml.load(fs.readFileSync(configPath, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const report = capacityReport(doc.config ?? {});
    if (report.problems.length > 0) {
        process.stderr.write(`${configPath} has ${report.problems.length} problem(s):\n${report.problems.map((p) => `  - ${p}`).join("\n")}\n`);
        return 2;
    }
    process.stdout.write(`Capacity plan for stack '${stack}' (requests vs allocatable):\n\n${report.text}\n`);
    return report.fits ? 0 : 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

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
import type { z } from "zod";
import { formatNodePlan, nodeCapacities, planCapacity } from "../components/platform/capacity";
import { agentHostDemand } from "../components/agents/demand";
import { platformDemands } from "../components/platform/demands";
import { formatPath, NAMESPACE } from "../stacks/config";
import { agentHostSchema } from "../stacks/schema/agents";
import { appsSchema } from "../stacks/schema/apps";
import { clusterSchema } from "../stacks/schema/cluster";
import { servicesSchema } from "../stacks/schema/services";

/** Validates the keys the plan needs; problems come in the usual `key: message` form. */
export function readStack(config: Record<string, unknown>) {
    const problems: string[] = [];
    function parse<S extends z.ZodType>(key: string, schema: S): z.output<S> | undefined {
        const r = schema.safeParse(config[`${NAMESPACE}:${key}`]);
        if (r.success) return r.data;
        for (const i of r.error.issues) problems.push(`${formatPath(key, i.path)}: ${i.message}`);
        return undefined;
    }
    const cluster = parse("cluster", clusterSchema);
    const services = parse("services", servicesSchema);
    const apps = parse("apps", appsSchema);
    const agentHost = parse("agentHost", agentHostSchema);
    return { cluster, services, apps, agentHost, problems };
}

/** The report text and whether everything fits. */
export function capacityReport(config: Record<string, unknown>): { text: string; fits: boolean; problems: string[] } {
    const { cluster, services, apps, agentHost, problems } = readStack(config);
    if (!cluster || !services || !apps || !agentHost) return { text: "", fits: false, problems };
    if (cluster.nodes.length === 0) return { text: "No cluster.nodes declared (existing cluster): nothing to plan.", fits: true, problems };
    // The same demands the program's check counts: platform plus the agent-host pool.
    const demands = [...platformDemands(services, apps, cluster.nodes), ...agentHostDemand(agentHost)];
    const plan = planCapacity(demands, nodeCapacities(cluster.nodes));
    return { text: formatNodePlan(plan), fits: plan.fits, problems };
}

function main(argv: string[]): number {
    const [stack, file] = argv;
    if (!stack) {
        process.stderr.write("usage: npx tsx scripts/capacity-report.ts <stack> [Pulumi.<stack>.yaml]\n");
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

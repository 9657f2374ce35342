import * as pulumi from "@pulumi/pulumi";
import { agentHostDemand } from "../components/agents/demand";
import { planBackups, type BackupPlan } from "../components/platform/backups/plan";
import { checkCapacity, nodeCapacities, type CapacityPlan, type WorkloadDemand } from "../components/platform/capacity";
import { checkDisk } from "../components/platform/diskCapacity";
import { planPlatform, type PlatformPlan } from "../components/platform/plan";
import type { SecretReader } from "../components/platform/plan";
import { agentChecks, clusterChecks, clusterWarnings } from "./checks";
import { ConfigError, loadConfig, runtimeSource, secretsOf, type ConfigSource, type PiclusterConfig } from "./config";

/**
 * Everything the components need, decided before the first resource is
 * registered: the validated config, the platform's namespaces, services,
 * catalog entries, apps with their secrets, every workload's demand and the
 * capacity plan. Components take this and never read or check config again.
 */
export interface StackPlan {
    config: PiclusterConfig;
    platform: PlatformPlan;
    /** Every workload's requests: the platform's and the agent-host pool's. */
    demands: WorkloadDemand[];
    /** Where the demands land on the declared nodes (undefined without declared nodes). */
    capacity?: CapacityPlan;
    /** The backup target and schedules (undefined without `backups.s3`). */
    backups?: BackupPlan;
    /** Risky but allowed settings, one line each. */
    warnings: string[];
}

/**
 * Plans a validated config. Throws a ConfigError with every cross-key
 * problem, then a CapacityError when the workloads do not fit; pure (no
 * resource is registered), so `npm run render`, the capacity report,
 * `npm run deploy` and `promote` share it with the program.
 */
export function buildPlan(config: PiclusterConfig, secrets: SecretReader): StackPlan {
    const nodes = config.cluster.nodes;
    const problems = [...clusterChecks(config.cluster), ...agentChecks(config)];
    const platform = planPlatform({ services: config.services, apps: config.apps, nodes }, secrets, problems);
    const warnings = clusterWarnings(config.cluster);
    const backups = planBackups({ backups: config.backups, cluster: config.cluster, stack: config.stack }, secrets, problems, warnings);
    platform.backups = backups;
    if (problems.length > 0) throw new ConfigError(problems);
    // The agents' guaranteed demand counts in the one capacity check.
    const demands = [...platform.demands, ...agentHostDemand(config.agentHost)];
    const capacity = nodes.length > 0 ? checkCapacity(demands, nodeCapacities(nodes)) : undefined;
    if (capacity) checkDisk(demands, capacity, nodes);
    return { config, platform, demands, capacity, backups, warnings };
}

/** Loads, validates and plans the running stack's config (or `source`); logs the warnings. */
export function planStack(source: ConfigSource = runtimeSource()): StackPlan {
    const plan = buildPlan(loadConfig(source), secretsOf(source));
    for (const w of plan.warnings) pulumi.log.warn(w);
    return plan;
}

import { shownSecretName } from "../config/messages";
import * as pulumi from "@pulumi/pulumi";
import { agentHostDemand } from "./agentDemand";
import { disruptionBudgets, planClusterUpgrade } from "./upgradePlan";
import { planBackups, type BackupPlan } from "./backups";
import { nodeCapacities, type CapacityPlan, type WorkloadDemand } from "./capacity";
import { checkCapacity } from "./capacityText";
import { checkDisk } from "./diskCapacity";
import { planPlatform, type PlatformPlan } from "./platform";
import { planStorage, type StoragePlan } from "./storage";
import type { SecretReader } from "./platform";
import { deepFreeze } from "./freeze";
import { compatProblems } from "./compat/check";
import { planCluster, type ClusterPlan } from "./cluster";
import { cachedChartVersions } from "../config/chartIndex";
import { chartVersionProblems, type ChartVersions } from "./charts";
import { inventoryOf, inventoryProblems } from "./inventory";
import { joinIngress, planIngress } from "./ingress";
import { backupWarnings, jointProblems } from "./joints";
import { alertWarnings } from "./services/monitoring";
import { memoryLimitProblems, workerTemplateLimits } from "./memoryLimits";
import { lanProblems, lanWarnings, planLan } from "./network";
import { ollamaAccess, type OllamaAccess } from "./services/ollama";
import { agentChecks, clusterChecks, clusterWarnings } from "./checks";
import { ConfigError, loadConfig, secretsOf, type PiclusterConfig } from "../config/load";
import { runtimeSource, type ConfigSource } from "../config/source";
import { registrySecretRefs, registryWarnings } from "../config/schema/registries";

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
    /** The storage choice: the platform's class and, for Longhorn, replicas and the nodes that hold them. */
    storage: StoragePlan;
    /** Risky but allowed settings, one line each. */
    warnings: string[];
    /** The secret values `cluster.registries` refers to, by key. */
    registrySecrets: Record<string, pulumi.Output<string>>;
    /** Node names in rolling-upgrade order, batch by batch (servers alone, first). */
    upgradeBatches: string[][];
    /** The bootstrapped cluster's shape (undefined when targeting an existing cluster). */
    cluster?: ClusterPlan;
    /** Where Ollama's consumers reach it (in-cluster or `services.ollama.external`); undefined: no Ollama. */
    ollama?: OllamaAccess;
}

/** Resolves the secret keys `cluster.registries` refers to; each one that cannot be read becomes a problem naming where it is referenced. */
export function registrySecretsOf(cluster: PiclusterConfig["cluster"], secrets: SecretReader, problems: string[]): Record<string, pulumi.Output<string>> {
    const out: Record<string, pulumi.Output<string>> = {};
    for (const { key, path } of cluster.registries ? registrySecretRefs(cluster.registries) : []) {
        const r = secrets(key);
        if ("problem" in r) problems.push(`picluster:${path} = ${shownSecretName(key)}: ${r.problem}`);
        else out[key] = r.value;
    }
    return out;
}

/**
 * Plans a validated config. Throws a ConfigError with every cross-key
 * problem, then a CapacityError when the workloads do not fit; pure (no
 * resource is registered), so `npm run render`, the capacity report,
 * `npm run deploy` and `promote` share it with the program.
 */
/** Facts from outside the config that the plan checks against. */
export interface PlanFacts {
    /** Published chart versions (the chart cache's indexes); without it, chart pins are not checked. */
    chartVersions?: ChartVersions;
}

export function buildPlan(config: PiclusterConfig, secrets: SecretReader, facts: PlanFacts = {}): StackPlan {
    const nodes = config.cluster.nodes;
    const problems = [...clusterChecks(config.cluster), ...agentChecks(config), ...jointProblems(config), ...lanProblems(config)];
    const platformPlan = planPlatform({ services: config.services, apps: config.apps, nodes }, secrets, problems);
    const registrySecrets = registrySecretsOf(config.cluster, secrets, problems);
    const warnings = [...clusterWarnings(config.cluster), ...(config.cluster.registries ? registryWarnings(config.cluster.registries) : []), ...alertWarnings(config.services)];
    const backups = planBackups({ backups: config.backups, cluster: config.cluster, stack: config.stack, namespaces: platformPlan.namespaces.map((n) => n.name) }, secrets, problems, warnings);
    const storage = planStorage({ services: config.services, nodes, existingCluster: config.existingCluster }, problems, warnings);
    // The front door: routes, their issuer, cert-manager (its namespace, chart and demands join the platform's).
    joinIngress(platformPlan, planIngress(config, platformPlan, secrets, problems, warnings));
    // The LAN pieces (MetalLB's pool) are the platform's first: their charts and demands count with it.
    const lan = planLan(config);
    const platform: PlatformPlan = { ...platformPlan, backups, storage, lan, charts: [...lan.charts, ...platformPlan.charts], demands: [...lan.demands, ...platformPlan.demands] };
    problems.push(...inventoryProblems([...lan.objects, ...inventoryOf(config, platform)]));
    warnings.push(...backupWarnings(config), ...lanWarnings(config));
    // The compatibility table: kubeVersion vs the k3s pin, database floors, image arches and maintenance.
    const compat = compatProblems(config, platform);
    problems.push(...compat.problems);
    warnings.push(...compat.warnings);
    if (facts.chartVersions) {
        const pins = chartVersionProblems(platform.charts, facts.chartVersions);
        problems.push(...pins.problems);
        warnings.push(...pins.warnings);
    }
    // Memory limits against the largest node each workload may run on (the capacity check places requests).
    if (nodes.length > 0) {
        const limits = [...platform.demands, ...agentHostDemand(config.agentHost), ...workerTemplateLimits(config.workerAgents)];
        problems.push(...memoryLimitProblems(limits, nodeCapacities(nodes, { gpuSharing: config.services.nvidiaDevicePlugin.gpuSharing })));
    }
    if (problems.length > 0) throw new ConfigError(problems);
    // The agents' guaranteed demand counts in the one capacity check.
    const demands = [...platform.demands, ...agentHostDemand(config.agentHost)];
    // A GPU node offers gpus × gpuSharing nvidia.com/gpu: what the device plugin advertises.
    const capacity = nodes.length > 0 ? checkCapacity(demands, nodeCapacities(nodes, { gpuSharing: config.services.nvidiaDevicePlugin.gpuSharing })) : undefined;
    // Longhorn volumes: `replicas` copies on distinct nodes, spread as Longhorn would (diskCapacity.ts).
    const replicaModel = storage.longhorn && storage.replicatedClass
        ? { defaultClass: storage.storageClass, replicatedClass: storage.replicatedClass, replicas: storage.longhorn.replicas, nodes: storage.longhorn.replicaNodes }
        : undefined;
    if (capacity) checkDisk(demands, capacity, nodes, replicaModel);
    // Batches sized by agentConcurrency, the program's disruption budgets and capacity.
    const upgrade = planClusterUpgrade({
        nodes,
        agentConcurrency: config.cluster.upgrade.agentConcurrency,
        demands,
        budgets: disruptionBudgets(config.services, config.apps, config.agentHost),
    });
    warnings.push(...upgrade.warnings.map((w) => `upgrade plan: ${w}`));
    const cluster = config.existingCluster ? undefined : planCluster(config.cluster, upgrade.batches);
    return deepFreeze({ config, platform, demands, capacity, backups, storage, warnings, registrySecrets, upgradeBatches: upgrade.batches, cluster, ollama: ollamaAccess(config.services.ollama) });
}

/** Loads, validates and plans the running stack's config (or `source`); logs the warnings. */
export function planStack(source: ConfigSource = runtimeSource()): StackPlan {
    const plan = buildPlan(loadConfig(source), secretsOf(source), { chartVersions: (repo, chart) => cachedChartVersions(repo, chart) });
    for (const w of plan.warnings) pulumi.log.warn(w);
    return plan;
}

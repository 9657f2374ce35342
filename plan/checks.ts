import { isHighlyAvailable } from "./topology";
import { cronProblem } from "../config/cron";
import { parseBytes, parseCpu } from "../config/quantity";
import { NAMESPACE, type PiclusterConfig } from "../config/load";
import { installerProblems, type ClusterSpec } from "../config/schema/cluster";

/*
 * Checks that span keys of the cluster and the agents, run by the plan
 * before anything is registered. One line per problem: the key, the value,
 * the fix. The services' own checks live in their descriptors.
 */

/** `a.b.c.d/n` → [first, last] address as numbers, or undefined when malformed. */
export function parseCidr(cidr: string): [number, number] | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) return undefined;
    const octets = m.slice(1, 5);
    // A leading zero reads as octal to some resolvers: refuse it rather than guess.
    if (octets.some((o) => (o.length > 1 && o.startsWith("0")) || Number(o) > 255)) return undefined;
    const bits = Number(m[5]);
    if (bits > 32) return undefined;
    const base = octets.reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    if (base % size !== 0) return undefined;
    return [base, base + size - 1];
}

/** Server count, pod/service CIDRs and the etcd snapshot schedule. */
export function clusterChecks(cluster: ClusterSpec): string[] {
    if (cluster.kubeconfig !== undefined) {
        // picluster writes registries.yaml over SSH; an existing cluster's nodes are not its to change.
        return cluster.registries
            ? [`${NAMESPACE}:cluster.registries is set together with cluster.kubeconfig: picluster writes registries.yaml only to nodes it bootstraps; configure the existing cluster's nodes yourself, or remove registries`]
            : [];
    }
    const problems: string[] = [];
    const key = `${NAMESPACE}:cluster`;
    const servers = cluster.nodes.filter((n) => n.role === "server");
    if (servers.length > 1 && servers.length % 2 === 0) {
        problems.push(
            `${key}.nodes has ${servers.length} servers (${servers.map((n) => n.name).join(", ")}): embedded etcd needs an odd count to keep quorum; make one of them role: agent or add a server`,
        );
    }
    const cidrs = { clusterCidr: cluster.server.clusterCidr, serviceCidr: cluster.server.serviceCidr };
    const parsed: Partial<Record<keyof typeof cidrs, [number, number]>> = {};
    for (const [name, value] of Object.entries(cidrs) as [keyof typeof cidrs, string][]) {
        const range = parseCidr(value);
        if (!range) problems.push(`${key}.server.${name} = "${value}": is not a network address with its prefix (octets 0-255 without leading zeros, host bits zero), e.g. 10.42.0.0/16`);
        else parsed[name] = range;
    }
    const [pods, svcs] = [parsed.clusterCidr, parsed.serviceCidr];
    if (pods && svcs && pods[0] <= svcs[1] && svcs[0] <= pods[1]) {
        problems.push(`${key}.server.serviceCidr = "${cidrs.serviceCidr}": overlaps clusterCidr "${cidrs.clusterCidr}"; pod and service networks must be disjoint (defaults 10.42.0.0/16 and 10.43.0.0/16)`);
    }
    const cron = cronProblem(cluster.server.etcdSnapshotCron);
    if (cron) problems.push(`${key}.server.etcdSnapshotCron = "${cluster.server.etcdSnapshotCron}": ${cron}`);
    problems.push(...installerProblems(cluster).map((p) => `${NAMESPACE}:${p}`));
    return problems;
}

/** Risky but allowed: printed as warnings, the program goes on. */
export function clusterWarnings(cluster: ClusterSpec): string[] {
    if (cluster.kubeconfig !== undefined) return [];
    if (!isHighlyAvailable(cluster.nodes)) return [];
    return cluster.nodes.flatMap((n, i) =>
        n.role === "server" && n.arch === "arm64" && n.dataDir === undefined
            ? [`${NAMESPACE}:cluster.nodes[${i}] (${n.name}) runs embedded etcd without dataDir: on an SD card etcd's fsync latency can stall the cluster; set cluster.nodes[${i}].dataDir to an SSD mount`]
            : [],
    );
}

/** The agent-host pool and the worker-agent templates against the cluster they run on. */
export function agentChecks(config: Pick<PiclusterConfig, "cluster" | "agentHost" | "workerAgents">): string[] {
    const problems: string[] = [];
    const { cluster, agentHost, workerAgents } = config;
    if (agentHost.enabled) {
        if (agentHost.arch !== undefined && cluster.nodes.length > 0 && !cluster.nodes.some((n) => n.arch === agentHost.arch)) {
            problems.push(`${NAMESPACE}:agentHost.arch = "${agentHost.arch}": no declared node has that architecture; change arch or add a node`);
        }
        if (cluster.kubeconfig === undefined && cluster.server.disable.includes("metrics-server")) {
            problems.push(
                `${NAMESPACE}:cluster.server.disable = ${JSON.stringify(cluster.server.disable)}: metrics-server is disabled but agentHost's HorizontalPodAutoscaler needs its metrics; remove "metrics-server" from the list or disable agentHost`,
            );
        }
    }
    if (workerAgents.enabled) {
        const quota = workerAgents.quota;
        workerAgents.templates.forEach((t, i) => {
            const over = (kind: "requests" | "limits") =>
                (["cpu", "memory"] as const).filter((r) =>
                    r === "cpu" ? parseCpu(t.resources[kind].cpu) > parseCpu(quota[kind].cpu) : parseBytes(t.resources[kind].memory) > parseBytes(quota[kind].memory),
                );
            for (const kind of ["requests", "limits"] as const) {
                for (const r of over(kind)) {
                    problems.push(
                        `${NAMESPACE}:workerAgents.templates[${i}].resources.${kind}.${r} = ${JSON.stringify(t.resources[kind][r])}: exceeds workerAgents.quota.${kind}.${r} (${quota[kind][r]}), so no Job of this template could ever start; lower it or raise the quota`,
                    );
                }
            }
        });
    }
    return problems;
}

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { BackupPlan } from "../../../plan/backups";
import type { ClusterPlan, PlannedNode } from "../../../plan/cluster";
import type { NodeConnections } from "../connection";
import { etcdS3Settings } from "../etcdBackup";
import { K3sNode } from "../k3sNode";
import { scriptCommand } from "../nodeScripts";
import type { ApiVipSteps } from "./apiVip";
import { renderK3sConfig } from "./k3sConfig";
import { k3sDataDir } from "./nodeArtifacts";

export interface InstallChainArgs {
    plan: ClusterPlan;
    connections: NodeConnections;
    /** The server and agent tokens (secret). */
    tokens: { server: pulumi.Output<string>; agent: pulumi.Output<string> };
    preflightPassed: pulumi.Output<string>;
    /** A node's registries.yaml step, which its install waits for (none without `cluster.registries`). */
    registriesOf: (node: string) => pulumi.Resource[];
    backups?: BackupPlan;
    /** With `cluster.apiVip`: the first server's install waits for kube-vip's manifest, every other node for the VIP to answer. */
    apiVip?: ApiVipSteps;
}

/** The installed nodes and what later phases take from them. */
export interface InstallChain {
    nodes: Record<string, K3sNode>;
    /** Each node's k3s config.yaml (secret). */
    configs: Record<string, pulumi.Output<string>>;
    /** sha256 of the cluster CA, read from the first server; empty until it is read. */
    caHash: pulumi.Output<string>;
    /** With `cluster.apiVip`: the wait until it answers (after the first server's install). */
    apiVip?: command.remote.Command;
}

/** The node's config.yaml, a secret: it holds the join token (and the backup target's keys). */
function k3sConfigOf(plan: ClusterPlan, planned: PlannedNode, args: InstallChainArgs, caHash: pulumi.Output<string>): pulumi.Output<string> {
    const backups = args.backups;
    const s3Keys = backups ? pulumi.all([backups.accessKeyId, backups.secretAccessKey]) : pulumi.output(undefined);
    return pulumi.secret(
        pulumi.all([args.tokens.server, args.tokens.agent, caHash, s3Keys]).apply(([server, agent, hash, keys]) =>
            renderK3sConfig({
                cluster: plan.spec,
                node: planned.spec,
                role: planned.joinRole,
                tokens: { server, agent, caHash: hash },
                serverUrl: plan.serverUrl,
                etcdS3: backups && keys ? etcdS3Settings(backups, keys[0], keys[1]) : undefined,
            }),
        ),
    );
}

/**
 * Beside the first server's install, not after it (ca-hash.sh waits for the
 * CA k3s writes as it starts), so the joining nodes' configs are ready when
 * the server is up. It starts with the install: after pre-flight and what the
 * install waits for on that node.
 */
function caHashRead(name: string, parent: pulumi.Resource, plan: ClusterPlan, args: InstallChainArgs, after: pulumi.Resource[]): command.remote.Command {
    return new command.remote.Command(
        `${name}-ca-hash`,
        {
            connection: args.connections.of(plan.firstServer),
            create: args.preflightPassed.apply(() =>
                scriptCommand("ca-hash.sh", { sudo: true, env: { DATA_DIR: k3sDataDir(plan.firstServer), READY_TIMEOUT: String(plan.spec.timeouts.readySeconds) } }),
            ),
            addPreviousOutputInEnv: false,
        },
        // A stack made before the CA was read this way keeps its recorded
        // command and triggers: a new read would leave every joining node's
        // config unknown in that preview.
        { parent, dependsOn: after, ignoreChanges: ["create", "triggers"] },
    );
}

/**
 * Phase 2: install. The first server, further servers one at a time (each
 * once the one before is Ready: etcd takes one new member at a time), agents
 * in parallel once the first server runs. Nodes are built batch by batch so
 * each batch's drains can start after every `upgrade` of the one before.
 */
export function installChain(name: string, parent: pulumi.Resource, args: InstallChainArgs): InstallChain {
    const { plan } = args;
    const nodes: Record<string, K3sNode> = {};
    const configs: Record<string, pulumi.Output<string>> = {};
    let previousServer: K3sNode | undefined;
    let caHash: pulumi.Output<string> = pulumi.output("");
    // The first server's CA read, which the joining nodes' preinstalls wait for.
    let caRead: command.remote.Command | undefined;
    // With a VIP: kube-vip's manifest before the first server starts, the VIP answering before anyone else joins.
    let vipAnswers: command.remote.Command | undefined;
    for (const planned of plan.nodes) {
        const node = planned.spec;
        // Servers come first and in declared order, so the first server exists by now for everyone else.
        const first = nodes[plan.firstServer.name];
        const joinAfter = planned.joinRole === "init" ? [] : planned.joinRole === "join-server" ? [(previousServer ?? first).up] : [first.install];
        const vipAfter = planned.joinRole === "init" ? (args.apiVip ? [args.apiVip.manifest] : []) : vipAnswers ? [vipAnswers] : [];
        const installAfter = [...joinAfter, ...args.registriesOf(node.name), ...vipAfter];
        const k3sConfig = k3sConfigOf(plan, planned, args, caHash);
        const k3sNode = new K3sNode(
            node.name,
            {
                node,
                cluster: plan.spec,
                joinRole: planned.joinRole,
                connection: args.connections.of(node),
                primaryConnection: args.connections.of(plan.firstServer),
                k3sConfig,
                preflightPassed: args.preflightPassed,
                joinAfter: installAfter,
                // After its registries.yaml too: a step that saw the preinstall's k3s binary before its unit
                // existed would restart a unit that is not there (k3s reads the file when install starts it).
                preinstallAfter: [...(caRead ? [caRead] : []), ...args.registriesOf(node.name)],
                upgradeAfter: { nodes: planned.previousBatch, upgrades: planned.previousBatch.map((n) => nodes[n].upgrade) },
            },
            { parent },
        );
        nodes[node.name] = k3sNode;
        if (planned.joinRole === "init") {
            caRead = caHashRead(name, parent, plan, args, [...installAfter, ...(k3sNode.stage ? [k3sNode.stage] : [])]);
            caHash = caRead.stdout.apply((out) => out.trim().split(/\s+/)[0] ?? "");
            vipAnswers = args.apiVip?.answers([k3sNode.install]);
        }
        if (node.role === "server") previousServer = k3sNode;
        configs[node.name] = k3sConfig;
    }
    return { nodes, configs, caHash, ...(vipAnswers ? { apiVip: vipAnswers } : {}) };
}

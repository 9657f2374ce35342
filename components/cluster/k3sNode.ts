import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../../config/schema/cluster";
import type { JoinRole } from "../../plan/topology";
import { copyArtifacts, installerEnv, k3sDataDir } from "./install/nodeArtifacts";
import { scriptCommand } from "./nodeScripts";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

export interface K3sNodeArgs {
    node: NodeSpec;
    cluster: ClusterSpec;
    /** How this node enters the cluster. */
    joinRole: JoinRole;
    /** SSH connection to this node. */
    connection: ConnectionArgs;
    /** SSH connection to the first server, where kubectl runs (drain, wait, remove). */
    primaryConnection: ConnectionArgs;
    /** The node's k3s config.yaml (holds the join token): a secret, sent on stdin only. */
    k3sConfig: pulumi.Output<string>;
    /** Resolves once every node passed pre-flight; the install waits for it. */
    preflightPassed: pulumi.Output<string>;
    /** What must be up first (the first server's install; for a joining server, the previous server Ready). */
    joinAfter: pulumi.Resource[];
    /** A joining node: what its preinstall waits for (the first server's CA read, i.e. its k3s has started). */
    preinstallAfter?: pulumi.Resource[];
    /**
     * The previous upgrade batch (servers first, one per batch; then agent
     * batches): its nodes' names, which this node's drain waits to see back
     * at the new version, Ready and uncordoned, and their `upgrade` steps,
     * after which the drain step starts (so its hand-over overlaps their
     * start time).
     */
    upgradeAfter?: { nodes: string[]; upgrades: pulumi.Resource[] };
}

/** k3s-install.sh's environment in every mode: the node, its role and the installer's source. */
function installEnv(args: K3sNodeArgs): Record<string, string> {
    return { ROLE: args.node.role, NODE_NAME: args.node.name, ...installerEnv(args.cluster, args.node) };
}

/**
 * Artifact mode: the copies, then `stage`, ahead of the drain. Re-run
 * whenever a checksum changes: with no `update`, the command provider runs
 * `create` again on an update (one copy of the install script in the state
 * instead of two). Undefined in URL mode.
 */
function stage(name: string, parent: pulumi.Resource, args: K3sNodeArgs, env: Record<string, string>): command.remote.Command | undefined {
    // The installer, binary and images are on the node before the install runs.
    const copies = copyArtifacts(name, args.cluster, args.node, args.connection, parent);
    if (copies.length === 0) return undefined;
    return new command.remote.Command(
        `${name}-stage`,
        { connection: args.connection, create: scriptCommand("k3s-install.sh", { sudo: true, env: { ...env, MODE: "stage" } }), addPreviousOutputInEnv: false },
        { parent, dependsOn: copies },
    );
}

/**
 * A joining node installs k3s while it waits for the first server: the
 * installer (in URL mode the download too) needs neither the config nor the
 * cluster, so `install` is left only the config and the start. It begins
 * once the first server's k3s has started, so a first server that fails to
 * install leaves the other nodes as they were, and its own installer runs
 * alone. The first server has nothing to wait for; a step of its own would
 * only add a hand-over (undefined there).
 */
function preinstall(name: string, parent: pulumi.Resource, args: K3sNodeArgs, env: Record<string, string>, artifacts: pulumi.Resource[]): command.remote.Command | undefined {
    if (args.joinRole === "init") return undefined;
    return new command.remote.Command(
        `${name}-preinstall`,
        {
            connection: args.connection,
            create: args.preflightPassed.apply(() => scriptCommand("k3s-install.sh", { sudo: true, env: { ...env, MODE: "preinstall", TARGET_VERSION: args.cluster.k3sVersion } })),
            addPreviousOutputInEnv: false,
        },
        // Like `install`'s, its version is the first install's only.
        { parent, dependsOn: [...artifacts, ...(args.preinstallAfter ?? [])], ignoreChanges: ["create"] },
    );
}

/** Writes the config and installs (or, preinstalled, starts) k3s; `reconfigure` on a config change; uninstalls on delete. */
function install(name: string, parent: pulumi.Resource, args: K3sNodeArgs, env: Record<string, string>, after: pulumi.Resource[]): command.remote.Command {
    return new command.remote.Command(
        `${name}-install`,
        {
            connection: args.connection,
            // Waiting on the pre-flight verdict here keeps every install
            // behind the cross-node checks.
            create: args.preflightPassed.apply(() =>
                scriptCommand("k3s-install.sh", {
                    sudo: true,
                    // On the first server, `joined` waits for the Node to be Ready.
                    env: { ...env, MODE: "install", TARGET_VERSION: args.cluster.k3sVersion, ...(args.joinRole === "init" ? { NODE_READY_GATE: "1" } : {}) },
                }),
            ),
            update: scriptCommand("k3s-install.sh", { sudo: true, env: { ...env, MODE: "reconfigure" } }),
            delete: scriptCommand("k3s-uninstall.sh", { sudo: true, env: { DATA_DIR: k3sDataDir(args.node) } }),
            stdin: pulumi.secret(args.k3sConfig),
            addPreviousOutputInEnv: false,
        },
        // `create` carries the version of the first install only; version
        // changes go through the upgrade chain (drain, upgrade, ready), one node at a time.
        { parent, dependsOn: after, ignoreChanges: ["create"] },
    );
}

/** The first server only: waits, once, for its Node to be Ready (undefined on the other nodes, whose install waits). */
function joined(name: string, parent: pulumi.Resource, args: K3sNodeArgs, install: pulumi.Resource): command.remote.Command | undefined {
    if (args.joinRole !== "init") return undefined;
    return new command.remote.Command(
        `${name}-joined`,
        {
            connection: args.primaryConnection,
            create: scriptCommand("node-ready.sh", { sudo: true, env: { NODE_NAME: args.node.name, UNCORDON: "0", READY_TIMEOUT: String(args.cluster.timeouts.readySeconds) } }),
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: [install] },
    );
}

/**
 * Drains the node (from the first server) on a version change, once the
 * previous batch is back; on delete (node removed from config) drains it
 * and deletes its Node object. After the staging too: a node whose
 * artifacts fail their check is never drained.
 */
function drain(name: string, parent: pulumi.Resource, args: K3sNodeArgs, after: pulumi.Resource[]): command.remote.Command {
    const { node, cluster } = args;
    const previousBatch = args.upgradeAfter?.nodes ?? [];
    const drainEnv = {
        MODE: "drain",
        NODE_NAME: node.name,
        TARGET_VERSION: cluster.k3sVersion,
        DRAIN_TIMEOUT: String(cluster.timeouts.drainSeconds),
        ...(previousBatch.length > 0 ? { AFTER_NODES: previousBatch.join(","), READY_TIMEOUT: String(cluster.timeouts.readySeconds) } : {}),
    };
    return new command.remote.Command(
        `${name}-drain`,
        {
            connection: args.primaryConnection,
            update: scriptCommand("node-drain.sh", { sudo: true, env: drainEnv }),
            delete: scriptCommand("node-drain.sh", { sudo: true, env: { MODE: "remove", NODE_NAME: node.name } }),
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: [...after, ...(args.upgradeAfter?.upgrades ?? [])] },
    );
}

/** On a version change: the new binary, the installer only if it changed, and a restart of k3s, nothing more. */
function upgrade(name: string, parent: pulumi.Resource, args: K3sNodeArgs, env: Record<string, string>, after: pulumi.Resource[]): command.remote.Command {
    return new command.remote.Command(
        `${name}-upgrade`,
        {
            connection: args.connection,
            update: scriptCommand("k3s-install.sh", {
                sudo: true,
                env: { ...env, MODE: "upgrade", TARGET_VERSION: args.cluster.k3sVersion },
            }),
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: after },
    );
}

/** After an upgrade: waits until the kubelet reports the new version and Ready, and uncordons the node if the drain cordoned it. */
function ready(name: string, parent: pulumi.Resource, args: K3sNodeArgs, upgrade: pulumi.Resource): command.remote.Command {
    const { node, cluster } = args;
    return new command.remote.Command(
        `${name}-ready`,
        {
            connection: args.primaryConnection,
            update: scriptCommand("node-ready.sh", {
                sudo: true,
                env: { NODE_NAME: node.name, UNCORDON: "1", TARGET_VERSION: cluster.k3sVersion, READY_TIMEOUT: String(cluster.timeouts.readySeconds) },
            }),
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: [upgrade] },
    );
}

/**
 * One k3s node's life cycle over SSH.
 *
 * - `preinstall` (every node but the first server) runs once, after
 *   pre-flight and once the first server's k3s has started: it installs the
 *   pinned k3s without a config and without starting it.
 * - `install` runs once: writes the config (0600, from stdin) and installs the
 *   pinned k3s (on a joining node already there: it only starts it). Later config changes re-run it as `reconfigure`, which
 *   restarts k3s only when the file really changed. Deleting it uninstalls k3s.
 * - `stage` (artifact mode) copies the node's artifacts into root-owned
 *   staging and checks their sha256, right after the copies and before any
 *   drain: every node stages in parallel while it still serves, so an
 *   upgrade's down-time is the swap, the restart and the Ready wait.
 * - `install` waits until the node is registered and Ready, read on the
 *   node with its kubelet's own credential. The first server's is the
 *   exception: it returns once k3s is active, so the joining nodes install
 *   while `joined` (on it, once) waits for its Node to be Ready.
 * - `drain` → `upgrade` → `ready` carry a version change: they run nothing on
 *   create, and on a change of `k3sVersion` drain the node (from the first
 *   server) unless its kubelet already runs that version, upgrade it (the
 *   new binary, the installer only if it changed, and a restart of k3s,
 *   nothing more), wait until its kubelet
 *   reports the new version and Ready, and uncordon it if the drain cordoned
 *   it. The wait is `ready`'s, so its step hand-over falls in the seconds k3s
 *   takes to start rather than after them. Each node's `drain` starts after
 *   every `upgrade` of the previous batch and drains only once that batch is
 *   back (its kubelets at the new version, Ready, uncordoned by their
 *   `ready`): upgrades roll one batch at a time, and the hand-over to the
 *   next batch falls in the previous one's start time too (node-drain.sh
 *   waits out the first server's own restart). Deleting `drain` (node
 *   removed from config) drains the node and deletes its Node object before
 *   `install`'s delete uninstalls k3s.
 *
 * Whatever needs the node Ready waits for `readyGate` (`up` and `ready`).
 */
export class K3sNode extends pulumi.ComponentResource {
    public readonly install: command.remote.Command;
    /** A joining node: installs k3s, not started, while the first server starts (undefined on the first server). */
    public readonly preinstall?: command.remote.Command;
    /** Artifact mode: stages and checks the artifacts (undefined otherwise). */
    public readonly stage?: command.remote.Command;
    public readonly drain: command.remote.Command;
    public readonly upgrade: command.remote.Command;
    /** The first server: waits, once, for its Node to be Ready (undefined on the other nodes, whose install waits). */
    public readonly joined?: command.remote.Command;
    /** Completes when the node, once installed, is registered and Ready: `joined` on the first server, else `install`. */
    public readonly up: command.remote.Command;
    /** The upgrade chain's last step: after a version change, Ready and uncordoned. */
    public readonly ready: command.remote.Command;
    /** What anything needing this node Ready waits for. */
    public readonly readyGate: pulumi.Resource[];

    constructor(name: string, args: K3sNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:K3sNode", name, {}, opts);
        const env = installEnv(args);
        this.stage = stage(name, this, args, env);
        const artifacts = this.stage ? [this.stage] : [];
        this.preinstall = preinstall(name, this, args, env, artifacts);
        this.install = install(name, this, args, env, [...args.joinAfter, ...artifacts, ...(this.preinstall ? [this.preinstall] : [])]);
        // Each upgrade step decides from the node's live state (kubelet
        // version, the drain annotation), so an update triggered by anything
        // else, such as a rotated SSH key, drains nothing and uncordons nothing.
        this.drain = drain(name, this, args, [this.install, ...artifacts]);
        this.upgrade = upgrade(name, this, args, env, [this.drain, ...artifacts]);
        this.joined = joined(name, this, args, this.install);
        this.up = this.joined ?? this.install;
        this.ready = ready(name, this, args, this.upgrade);
        this.readyGate = [this.up, this.ready];
        this.registerOutputs({});
    }
}

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { ClusterSpec, NodeSpec } from "../../stacks/schema/cluster";
import { NodeObservation } from "./nodeObservation";
import { installerEnv } from "./nodeArtifacts";
import { scriptCommand } from "./nodeScripts";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

export interface NodeRepairArgs {
    node: NodeSpec;
    cluster: ClusterSpec;
    /** SSH connection to this node (key secret). */
    connection: ConnectionArgs;
    /** SSH connection to the first server, where a reimaged node's stale Node object is deleted. */
    primaryConnection: ConnectionArgs;
    /** The node's rendered config.yaml: a secret, hashed for the comparison and sent on stdin for a rewrite. */
    k3sConfig: pulumi.Output<string>;
    /** What must have finished first: the node's install and upgrade chain. */
    after: pulumi.Resource[];
}

/** sha256 of a text, hex (what `sha256sum` prints). */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/**
 * Drift of one node, seen and repaired. The observation reads the node only
 * on `--refresh` (one read-only SSH call) and turns what it found into a
 * repair generation on `up`; the repair commands run only when that
 * generation changes: a reimaged node's stale Node object and node password
 * are removed from the first server, then the node is put back with the
 * pinned k3s, its config rewritten from stdin (k3s restarted if it changed)
 * and a stopped service started. Every step is idempotent.
 */
export class NodeRepair extends pulumi.ComponentResource {
    public readonly observation: NodeObservation;
    public readonly repair: command.remote.Command;

    constructor(name: string, args: NodeRepairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:NodeRepair", name, {}, opts);
        const { node, cluster, connection } = args;
        const c = pulumi.output(connection);
        const common = { ROLE: node.role, NODE_NAME: node.name };
        // The install's own installer settings (checksum, artifact mode).
        const reinstall = scriptCommand("k3s-install.sh", {
            sudo: true,
            env: { ...common, ...installerEnv(cluster, node), MODE: "install", TARGET_VERSION: cluster.k3sVersion },
        });
        const start = scriptCommand("node-repair.sh", { sudo: true, env: common });
        this.observation = new NodeObservation(
            `${name}-observed`,
            {
                node: node.name,
                k3sVersion: cluster.k3sVersion,
                configSha256: pulumi.secret(args.k3sConfig.apply(sha256Hex)),
                connection: pulumi.secret(
                    pulumi.all([c.host, c.port, c.user, c.privateKey, c.hostKey]).apply(([host, port, user, privateKey, hostKey]) => ({
                        host,
                        port: port ?? 22,
                        user: user ?? "root",
                        privateKey: privateKey ?? "",
                        ...(hostKey ? { hostKey } : {}),
                    })),
                ),
                command: scriptCommand("node-observe.sh", { sudo: true, env: { ROLE: node.role, NODE_NAME: node.name } }),
                repairs: [],
                repairCommand: `${reinstall} && ${start}`,
                repairConfig: pulumi.secret(args.k3sConfig),
            },
            { parent: this, dependsOn: args.after },
        );

        const forget = new command.remote.Command(
            `${name}-forget`,
            {
                connection: args.primaryConnection,
                update: pulumi.interpolate`${scriptCommand("node-drain.sh", { sudo: true, env: { MODE: "remove", NODE_NAME: node.name } })} # reimage ${this.observation.reimageGeneration}`,
                addPreviousOutputInEnv: false,
            },
            { parent: this },
        );
        this.repair = new command.remote.Command(
            `${name}-repair`,
            {
                connection,
                // The generation in the command line is what makes `up` run it: once per bump.
                // Command and config are the ones armed at that bump, so an upgrade or a
                // new config (carried out by the install chain) does not run it again.
                update: pulumi.interpolate`${this.observation.armedCommand} # repair ${this.observation.generation}`,
                stdin: pulumi.secret(this.observation.armedConfig),
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: [forget] },
        );
        this.registerOutputs({});
    }
}

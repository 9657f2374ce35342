import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { ClusterSpec, NodeSpec } from "../../../config/schema/cluster";
import { NodeObservation, type ObservationConnection } from "./nodeObservation";
import { installerEnv } from "../install/nodeArtifacts";
import { scriptCommand } from "../nodeScripts";

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
    /** The explicit provider the observation runs in (nodeObservation.ts, ObservationHost). */
    host: pulumi.ProviderResource;
}

/** sha256 of a text, hex (what `sha256sum` prints). */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

/** A command connection's fields as the observation's provider takes them (plain values inside a secret). */
function sshTarget(connection: ConnectionArgs): pulumi.Output<ObservationConnection> {
    const c = pulumi.output(connection);
    return pulumi.secret(
        pulumi.all([c.host, c.port, c.user, c.privateKey, c.hostKey]).apply(([host, port, user, privateKey, hostKey]) => ({
            host,
            port: port ?? 22,
            user: user ?? "root",
            privateKey: privateKey ?? "",
            ...(hostKey ? { hostKey } : {}),
        })),
    );
}

/**
 * Drift of one node, seen and repaired, by one resource: the observation
 * reads the node only on `--refresh` (one read-only SSH call) and, on the
 * `up` after a refresh that found repairs, repairs it in its update: a
 * reimaged node's stale Node object and node password are removed from the
 * first server, then the node is put back with the pinned k3s, its config
 * rewritten from stdin (k3s restarted if it changed) and a stopped service
 * started. Every step is idempotent. Being one resource, an upgrade's preview
 * shows the observation's own update (it records the new version) and no
 * repair: nothing else depends on what only `up` can know.
 */
export class NodeRepair extends pulumi.ComponentResource {
    public readonly observation: NodeObservation;

    constructor(name: string, args: NodeRepairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:NodeRepair", name, {}, opts);
        const { node, cluster } = args;
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
                connection: sshTarget(args.connection),
                command: scriptCommand("node-observe.sh", { sudo: true, env: { ROLE: node.role, NODE_NAME: node.name } }),
                repairs: [],
                repairCommand: `${reinstall} && ${start}`,
                repairConfig: pulumi.secret(args.k3sConfig),
                primary: sshTarget(args.primaryConnection),
                forgetCommand: scriptCommand("node-drain.sh", { sudo: true, env: { MODE: "remove", NODE_NAME: node.name } }),
            },
            { parent: this, dependsOn: args.after, provider: args.host },
        );
        this.registerOutputs({});
    }
}

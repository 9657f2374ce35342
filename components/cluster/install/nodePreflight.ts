import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../../../config/schema/cluster";
import { isHighlyAvailable } from "../../../plan/topology";
import { scriptCommand } from "../nodeScripts";
import { parsePreflightReport } from "./preflightReport";

export interface NodePreflightArgs {
    /** The node to check. */
    node: NodeSpec;
    /** The cluster settings (prepare, pre-flight thresholds, HA). */
    cluster: ClusterSpec;
    /** Connection for the first check. */
    connection: command.types.input.remote.ConnectionArgs;
    /** Connection that keeps dialling while the node reboots. */
    patientConnection: command.types.input.remote.ConnectionArgs;
    /** What must run first on any node (the state's ownership check). */
    after?: pulumi.Resource[];
    /** Check (and with `cluster.prepare` install) Longhorn's prerequisites: open-iscsi, iscsi_tcp, nfs-common. */
    longhorn?: boolean;
}

/**
 * Checks one node before anything is installed. With `cluster.prepare` it
 * first fixes what it can (cgroups, swap, firewall), lets the node reboot
 * when a fix needs it, and checks again. The check fails the command, and so
 * the `up`, when a problem remains; every node is checked in parallel, so one
 * `up` lists the problems of all of them.
 */
export class NodePreflight extends pulumi.ComponentResource {
    /** The final check; replacing it re-runs the checks. */
    public readonly check: command.remote.Command;
    /** The GPU checks (driver, container toolkit) of a `gpu: true` node; the final check waits for them. */
    public readonly gpu?: command.remote.Command;
    /** The final check's report (facts such as hostname and machine-id). */
    public readonly report: pulumi.Output<string>;

    constructor(name: string, args: NodePreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:NodePreflight", name, {}, opts);
        const { node, cluster } = args;
        const env = (prepare: boolean) => ({
            DECLARED_ARCH: node.arch,
            ROLE: node.role,
            PREPARE: prepare ? "1" : "0",
            MIN_FREE_DISK_MIB: String(cluster.preflight.minFreeDiskMiB),
            HA: isHighlyAvailable(cluster.nodes) ? "1" : "0",
            CLUSTER_CIDR: cluster.server.clusterCidr,
            SERVICE_CIDR: cluster.server.serviceCidr,
            FLANNEL_BACKEND: cluster.server.flannelBackend,
            NEEDS_CURL: cluster.artifacts ? "0" : "1",
            LONGHORN: args.longhorn ? "1" : "0",
            NODE_NAME: node.name,
            ...(node.dataDir ? { DATA_DIR: node.dataDir } : {}),
        });
        let dependsOn: pulumi.Resource[] = args.after ?? [];
        if (cluster.prepare) {
            const fix = new command.remote.Command(
                `${name}-prepare`,
                { connection: args.connection, create: scriptCommand("preflight.sh", { env: env(true), sudo: false }), addPreviousOutputInEnv: false },
                { parent: this, dependsOn },
            );
            // Give a scheduled reboot time to take sshd down before dialling again.
            const settle = new command.local.Command(
                `${name}-settle`,
                { create: fix.stdout.apply((out) => (parsePreflightReport(out).rebootScheduled ? "sleep 20" : "true")), addPreviousOutputInEnv: false },
                { parent: this },
            );
            dependsOn = [settle];
        }
        if (node.gpu) {
            // Driver and container toolkit; with prepare, installs the toolkit where apt offers it.
            this.gpu = new command.remote.Command(
                `${name}-gpu-preflight`,
                {
                    connection: cluster.prepare ? args.patientConnection : args.connection,
                    create: scriptCommand("gpu-check.sh", { env: { MODE: "preflight", PREPARE: cluster.prepare ? "1" : "0" }, sudo: false }),
                    addPreviousOutputInEnv: false,
                },
                { parent: this, dependsOn },
            );
            dependsOn = [this.gpu];
        }
        this.check = new command.remote.Command(
            `${name}-preflight`,
            {
                connection: cluster.prepare ? args.patientConnection : args.connection,
                create: scriptCommand("preflight.sh", { env: env(false), sudo: false }),
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn },
        );
        this.report = this.check.stdout;
        this.registerOutputs({ report: this.report });
    }
}

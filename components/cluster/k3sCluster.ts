import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterSpec, NodeSpec } from "../../config/schema/cluster";
import type { ClusterTarget } from "./clusterTarget";
import { nodeConnection } from "./connection";
import type { BackupPlan } from "../../plan/backups";
import { etcdS3Settings } from "./etcdBackup";
import { renderK3sConfig, rewriteKubeconfig } from "./install/k3sConfig";
import { apiEndpointOf, apiServerUrl, firstServer } from "../../plan/topology";
import { K3sNode } from "./k3sNode";
import { gpuRuntimeCheck } from "./install/gpuRuntimeCheck";
import { k3sDataDir } from "./install/nodeArtifacts";
import { scriptCommand } from "./nodeScripts";
import { NodePreflight } from "./install/nodePreflight";
import { NodeRegistries } from "./install/nodeRegistries";
import { ObservationHost } from "./drift/nodeObservation";
import { NodeRepair } from "./drift/nodeRepair";
import { crossNodeProblems, parsePreflightReport, PreflightError } from "./install/preflightReport";
import { checkUpgradeBatches, joinRoleOf, nodeLabels, upgradeOrder } from "../../plan/topology";
import { planUpgradeBatches } from "../../plan/upgradeBatches";

export interface K3sClusterArgs {
    /** The validated `picluster:cluster` settings (bootstrap mode: nodes declared). */
    cluster: ClusterSpec;
    /** Each node's SSH private key (secret), by node name. */
    nodeKeys: Record<string, pulumi.Output<string>>;
    /** Secret values `cluster.registries` refers to (passwordKey, tokenKey), by key. */
    registrySecrets?: Record<string, pulumi.Output<string>>;
    /** Name of the kubeconfig context; defaults to the component name. */
    contextName?: string;
    /** Upload etcd snapshots to this backup target (servers run embedded etcd). */
    backups?: BackupPlan;
    /** Longhorn is the storage: pre-flight checks (and `prepare` installs) its node prerequisites. */
    longhorn?: boolean;
    /**
     * Node names, batch by batch, for rolling upgrades (see upgradePlan.ts):
     * each batch drains after every node of the previous one is Ready.
     * Defaults to servers one at a time, then agents in batches of
     * `cluster.upgrade.agentConcurrency` in declared order.
     */
    upgradeBatches?: string[][];
}

/** The token admin-credential.sh prints (base64, as the Secret stores it), decoded. */
export function decodeToken(stdout: string): string {
    const token = Buffer.from(stdout.trim(), "base64").toString("utf8");
    if (!token) throw new Error("the first server returned no admin credential token; see the admin-credential step's error");
    return token;
}

/**
 * A k3s cluster bootstrapped over SSH: pre-flight on every node, the first
 * server, then further servers one by one and all agents in parallel, node
 * labels and taints applied declaratively, and a stable kubeconfig and
 * provider for everything deployed onto it.
 */
export class K3sCluster extends pulumi.ComponentResource implements ClusterTarget {
    public readonly provider: k8s.Provider;
    /** Admin kubeconfig, server rewritten to the API endpoint. Secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly readyResources: pulumi.Resource[];
    public readonly nodes: NodeSpec[];
    /** The k3s server token: servers only. Secret. */
    public readonly joinToken: pulumi.Output<string>;
    /** The k3s agent token: all agents get, in secure format, only this. Secret. */
    public readonly agentToken: pulumi.Output<string>;
    public readonly nodeResources: Record<string, K3sNode>;
    public readonly preflights: Record<string, NodePreflight>;
    /** The registries.yaml steps, when `cluster.registries` is set. */
    public readonly registries?: NodeRegistries;
    public readonly repairs: Record<string, NodeRepair> = {};

    constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:K3sCluster", name, {}, opts);
        const { cluster } = args;
        this.nodes = cluster.nodes;
        const primary = firstServer(cluster.nodes);
        if (!primary) throw new Error("K3sCluster needs at least one node with role: server");

        const keyOf = (node: NodeSpec) => {
            const key = args.nodeKeys[node.name];
            if (!key) throw new Error(`no SSH private key for node ${node.name}`);
            return key;
        };
        const connectionOf = (node: NodeSpec) => nodeConnection(node, keyOf(node));
        const primaryConnection = connectionOf(primary);
        const endpoint = apiEndpointOf(cluster);
        const serverUrl = apiServerUrl(endpoint);

        // Two tokens: the server token never leaves the servers (whoever holds
        // it is cluster admin); agents join with the agent token. Replacing
        // either resource rotates it (docs/operations.md).
        const token = new random.RandomPassword(`${name}-join-token`, { length: 48, special: false }, { parent: this });
        const agentToken = new random.RandomPassword(`${name}-agent-token`, { length: 48, special: false }, { parent: this });
        this.joinToken = pulumi.secret(token.result);
        this.agentToken = pulumi.secret(agentToken.result);

        // 1. Pre-flight everywhere, in parallel; installs wait for the verdict.
        this.preflights = {};
        for (const node of cluster.nodes) {
            this.preflights[node.name] = new NodePreflight(
                node.name,
                { node, cluster, connection: connectionOf(node), patientConnection: nodeConnection(node, keyOf(node), true), longhorn: args.longhorn },
                { parent: this },
            );
        }
        const checks = Object.values(this.preflights);
        const preflightPassed = pulumi
            .all([pulumi.all(checks.map((p) => p.report)), pulumi.all(checks.map((p) => p.check.urn))])
            .apply(([reports, urns]) => {
                const parsed = Object.fromEntries(cluster.nodes.map((n, i) => [n.name, parsePreflightReport(reports[i])]));
                const problems = crossNodeProblems(parsed);
                if (problems.length > 0) throw new PreflightError(problems, urns);
                return "passed";
            });

        // 1b. registries.yaml before k3s starts; later changes roll node by node.
        this.registries = cluster.registries
            ? new NodeRegistries(
                  `${name}-registries`,
                  {
                      spec: cluster.registries,
                      secrets: args.registrySecrets ?? {},
                      nodes: upgradeOrder(cluster.nodes),
                      connections: Object.fromEntries(cluster.nodes.map((n) => [n.name, connectionOf(n)])),
                      preflightPassed,
                  },
                  { parent: this },
              )
            : undefined;
        const registriesOf = (node: NodeSpec) => (this.registries ? [this.registries.steps[node.name]] : []);

        // The drift observations' provider process, started now rather than
        // when the first observation registers (see ObservationHost).
        const observationHost = new ObservationHost(`${name}-observation-host`, { parent: this });

        // 2. Install: first server, further servers one at a time, agents in
        // parallel. Nodes are built batch by batch so each batch's drains can
        // start after every `upgrade` of the one before.
        const batches = args.upgradeBatches ?? planUpgradeBatches({ nodes: cluster.nodes, agentConcurrency: cluster.upgrade.agentConcurrency }).batches;
        checkUpgradeBatches(batches, cluster.nodes);
        const byName = new Map(cluster.nodes.map((n) => [n.name, n]));
        this.nodeResources = {};
        let previousServer: K3sNode | undefined;
        const previousBatchOf = (node: NodeSpec) => batches[batches.findIndex((b) => b.includes(node.name)) - 1] ?? [];
        // The cluster CA's hash, read from the first server once it runs;
        // every joining node's token pins it.
        let caHash: pulumi.Output<string> = pulumi.output("");
        // Its read, which the joining nodes' preinstalls wait for.
        let caRead: command.remote.Command | undefined;
        const configs: Record<string, pulumi.Output<string>> = {};
        for (const node of batches.flat().map((n) => byName.get(n) as NodeSpec)) {
            const joinRole = joinRoleOf(node, cluster.nodes);
            // Servers come first and in declared order, so the first server exists by now for everyone else.
            const first = this.nodeResources[primary.name];
            // Servers join one at a time, each once the one before is Ready (etcd
            // takes one new member at a time); agents once the first server runs.
            const joinAfter = joinRole === "init" ? [] : joinRole === "join-server" ? [(previousServer ?? first).up] : [first.install];
            // What the node's install waits for besides its own steps.
            const installAfter = [...joinAfter, ...registriesOf(node)];
            const backups = args.backups;
            const s3Keys = backups ? pulumi.all([backups.accessKeyId, backups.secretAccessKey]) : pulumi.output(undefined);
            const k3sConfig = pulumi.secret(
                pulumi.all([token.result, agentToken.result, caHash, s3Keys]).apply(([server, agent, hash, keys]) =>
                    renderK3sConfig({
                        cluster,
                        node,
                        role: joinRole,
                        tokens: { server, agent, caHash: hash },
                        serverUrl,
                        etcdS3: backups && keys ? etcdS3Settings(backups, keys[0], keys[1]) : undefined,
                    }),
                ),
            );
            const k3sNode = new K3sNode(
                node.name,
                {
                    node,
                    cluster,
                    joinRole,
                    connection: connectionOf(node),
                    primaryConnection,
                    k3sConfig,
                    preflightPassed,
                    joinAfter: installAfter,
                    preinstallAfter: caRead ? [caRead] : [],
                    upgradeAfter: { nodes: previousBatchOf(node), upgrades: previousBatchOf(node).map((n) => this.nodeResources[n].upgrade) },
                },
                { parent: this },
            );
            this.nodeResources[node.name] = k3sNode;
            if (joinRole === "init") {
                // Beside the first server's install, not after it (ca-hash.sh
                // waits for the CA k3s writes as it starts), so the joining
                // nodes' configs are ready when the server is up. It starts
                // with the install: after pre-flight and what the install
                // waits for on that node.
                caRead = new command.remote.Command(
                    `${name}-ca-hash`,
                    {
                        connection: primaryConnection,
                        create: preflightPassed.apply(() =>
                            scriptCommand("ca-hash.sh", {
                                sudo: true,
                                env: { DATA_DIR: k3sDataDir(primary), READY_TIMEOUT: String(cluster.timeouts.readySeconds) },
                            }),
                        ),
                        addPreviousOutputInEnv: false,
                    },
                    // A stack made before the CA was read this way keeps its
                    // recorded command and triggers: a new read would leave
                    // every joining node's config unknown in that preview.
                    { parent: this, dependsOn: [...installAfter, ...(k3sNode.stage ? [k3sNode.stage] : [])], ignoreChanges: ["create", "triggers"] },
                );
                caHash = caRead.stdout.apply((out) => out.trim().split(/\s+/)[0] ?? "");
            }
            if (node.role === "server") previousServer = k3sNode;
            configs[node.name] = k3sConfig;
        }
        // Drift: read only on --refresh, repaired on the next up (nodeRepair.ts).
        // Each observation also waits for the next batch's upgrade steps: in an
        // upgrade its update (it records the new version) then runs while that
        // batch's k3s starts, not in the engine at the moment the next drain
        // hands over to its upgrade.
        for (const [i, batch] of batches.entries()) {
            const nextUpgrades = (batches[i + 1] ?? []).map((n) => this.nodeResources[n].upgrade);
            for (const node of batch.map((n) => byName.get(n) as NodeSpec)) {
                this.repairs[node.name] = new NodeRepair(
                    node.name,
                    {
                        node,
                        cluster,
                        connection: connectionOf(node),
                        primaryConnection,
                        k3sConfig: configs[node.name],
                        after: [this.nodeResources[node.name].ready, ...nextUpgrades],
                        host: observationHost,
                    },
                    { parent: this },
                );
            }
        }
        const primaryNode = this.nodeResources[primary.name];

        // 3. Kubeconfig, read once: it only changes if the first server is
        // reinstalled, so the provider (and every Kubernetes resource) stays put.
        const rawKubeconfig = new command.remote.Command(
            `${name}-kubeconfig`,
            {
                connection: primaryConnection,
                create: "sudo -n cat /etc/rancher/k3s/k3s.yaml",
                logging: "none",
                addPreviousOutputInEnv: false,
                triggers: [primaryNode.install.id],
            },
            { parent: this, dependsOn: primaryNode.readyGate, additionalSecretOutputs: ["stdout"] },
        );
        // The program's credential: a cluster-admin ServiceAccount token that
        // does not expire (k3s.yaml's client certificate lasts a year, and
        // k3s renews only the copy on disk). `--replace` on this resource
        // rotates it: only the kubeconfig's user changes.
        const adminToken = new command.remote.Command(
            `${name}-admin-credential`,
            {
                connection: primaryConnection,
                create: scriptCommand("admin-credential.sh", { sudo: true, env: { MODE: "create" } }),
                delete: scriptCommand("admin-credential.sh", { sudo: true, env: { MODE: "delete" } }),
                logging: "none",
                addPreviousOutputInEnv: false,
                triggers: [primaryNode.install.id],
            },
            // Delete first: the new Secret must not be the old one re-applied.
            { parent: this, dependsOn: primaryNode.readyGate, additionalSecretOutputs: ["stdout"], deleteBeforeReplace: true },
        );
        const contextName = args.contextName ?? name;
        this.kubeconfig = pulumi.secret(
            pulumi.all([rawKubeconfig.stdout, adminToken.stdout]).apply(([k, t]) => rewriteKubeconfig(k, serverUrl, contextName, decodeToken(t))),
        );
        // The cluster's identity is its CA: the provider is replaced (and with
        // it every Kubernetes resource) only when the CA changes. Without it, a
        // rotation's delete-before-replace leaves the kubeconfig unknown, which
        // the provider takes as a new cluster and replaces everything.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, clusterIdentifier: pulumi.interpolate`k3s-ca-sha256:${caHash}` }, { parent: this });

        // 4. Labels and taints, server-side applied: changing one changes only it.
        const metadata = cluster.nodes.map(
            (node) =>
                new k8s.core.v1.NodePatch(
                    `${node.name}-metadata`,
                    {
                        metadata: {
                            name: node.name,
                            labels: nodeLabels(node),
                            // k3s's own field manager owns some node fields; take ours.
                            annotations: { "pulumi.com/patchForce": "true" },
                        },
                        ...(node.taints.length > 0 ? { spec: { taints: node.taints } } : {}),
                    },
                    // After a repair too: a reinstalled node registers afresh, without our labels.
                    { parent: this, provider: this.provider, dependsOn: [...this.nodeResources[node.name].readyGate, this.repairs[node.name].observation] },
                ),
        );
        // 5. On GPU nodes, k3s must have registered the nvidia runtime.
        const gpuRuntimes = cluster.nodes
            .filter((n) => n.gpu)
            .map((n) => gpuRuntimeCheck(n, connectionOf(n), this.nodeResources[n.name].readyGate, this.nodeResources[n.name].install, this));
        this.readyResources = [...Object.values(this.nodeResources).flatMap((n) => n.readyGate), ...metadata, ...gpuRuntimes];
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}

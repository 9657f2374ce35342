import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { NodeSpec } from "../../config/schema/cluster";
import type { BackupPlan } from "../../plan/backups";
import type { ClusterPlan } from "../../plan/cluster";
import type { ClusterTarget } from "./clusterTarget";
import { nodeConnections } from "./connection";
import { clusterCredentials } from "./credentials";
import { driftRepairs } from "./drift/driftRepairs";
import { ObservationHost } from "./drift/nodeObservation";
import type { NodeRepair } from "./drift/nodeRepair";
import { apiVipSteps } from "./install/apiVip";
import { gpuRuntimeCheck } from "./install/gpuRuntimeCheck";
import { installChain } from "./install/installChain";
import type { NodePreflight } from "./install/nodePreflight";
import { NodeRegistries } from "./install/nodeRegistries";
import { ownerRecord, stateOwnership } from "./install/ownership";
import { preflightGate } from "./install/preflightGate";
import type { K3sNode } from "./k3sNode";
import { nodeMetadata } from "./nodeMetadata";

export interface K3sClusterArgs {
    /** The cluster's plan: its settings, API address, first server and the nodes in upgrade-batch order (plan/cluster.ts). */
    plan: ClusterPlan;
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
}

/**
 * A k3s cluster bootstrapped over SSH: pre-flight on every node, the first
 * server, then further servers one by one and all agents in parallel, node
 * labels and taints applied declaratively, and a stable kubeconfig and
 * provider for everything deployed onto it. Each phase is one function.
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
    public readonly repairs: Record<string, NodeRepair>;

    constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:K3sCluster", name, {}, opts);
        const { plan } = args;
        this.nodes = plan.spec.nodes;
        const connections = nodeConnections(args.nodeKeys);

        // Two tokens: the server token never leaves the servers (whoever holds
        // it is cluster admin); agents join with the agent token. Replacing
        // either resource rotates it (docs/operations.md).
        const token = new random.RandomPassword(`${name}-join-token`, { length: 48, special: false }, { parent: this });
        const agentToken = new random.RandomPassword(`${name}-agent-token`, { length: 48, special: false }, { parent: this });
        this.joinToken = pulumi.secret(token.result);
        this.agentToken = pulumi.secret(agentToken.result);

        // Which state owns the cluster is settled before any other node step.
        const ownership = stateOwnership(name, this, plan, connections);
        const gate = preflightGate(this, plan, connections, args.longhorn, [ownership.check]);
        this.preflights = gate.preflights;
        // registries.yaml before k3s starts; later changes roll node by node.
        this.registries = plan.spec.registries
            ? new NodeRegistries(
                  `${name}-registries`,
                  {
                      spec: plan.spec.registries,
                      secrets: args.registrySecrets ?? {},
                      nodes: plan.rollOrder,
                      connections: Object.fromEntries(plan.spec.nodes.map((n) => [n.name, connections.of(n)])),
                      preflightPassed: gate.passed,
                  },
                  { parent: this },
              )
            : undefined;
        // The drift observations' provider process, started now rather than
        // when the first observation registers (see ObservationHost).
        const observationHost = new ObservationHost(`${name}-observation-host`, { parent: this });

        // With cluster.apiVip: kube-vip's manifest on the first server and the wait until the VIP answers.
        const apiVip = apiVipSteps(name, this, plan, connections, gate.passed);
        const installed = installChain(name, this, {
            plan,
            connections,
            tokens: { server: token.result, agent: agentToken.result },
            preflightPassed: gate.passed,
            registriesOf: (node) => (this.registries ? [this.registries.steps[node]] : []),
            backups: args.backups,
            apiVip,
        });
        this.nodeResources = installed.nodes;
        this.repairs = driftRepairs(this, plan, installed, connections, observationHost);

        const credentials = clusterCredentials(name, this, plan, installed, connections, args.contextName ?? name);
        this.kubeconfig = credentials.kubeconfig;
        this.provider = credentials.provider;

        const metadata = nodeMetadata(this, plan, this.provider, installed, this.repairs);
        const record = ownerRecord(this, this.provider, ownership, Object.values(installed.nodes).flatMap((n) => n.readyGate));
        // On GPU nodes, k3s must have registered the nvidia runtime.
        const gpuRuntimes = plan.spec.nodes
            .filter((n) => n.gpu)
            .map((n) => gpuRuntimeCheck(n, connections.of(n), installed.nodes[n.name].readyGate, installed.nodes[n.name].install, this));
        this.readyResources = [...Object.values(installed.nodes).flatMap((n) => n.readyGate), ...metadata, ...gpuRuntimes, record];
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}

import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../plan/cluster";
import type { StackPlan } from "../plan/plan";
import { AgentHostPool } from "./agents/agentHostPool";
import { WorkerAgents } from "./agents/workerAgents";
import type { ClusterTarget } from "./cluster/clusterTarget";
import { ExistingCluster } from "./cluster/existingCluster";
import { K3sCluster } from "./cluster/k3sCluster";
import { Platform } from "./platform/platform";

/** What a stack exports about its nodes. */
export interface NodeSummary {
    name: string;
    host: string;
    role: "server" | "agent";
    arch: "amd64" | "arm64";
    labels: Record<string, string>;
}

/**
 * The whole platform for one stack: the cluster (bootstrapped or existing)
 * and everything deployed onto it, from a plan that has already passed every
 * check (plan/plan.ts). index.ts only plans, builds this and exports its
 * outputs; tests and the offline render build it the same way under mocks.
 */
export class Picluster extends pulumi.ComponentResource {
    public readonly cluster: ClusterTarget;
    public readonly platform: Platform;
    public readonly agentHost: AgentHostPool;
    public readonly workerAgents: WorkerAgents;
    /** Admin kubeconfig, secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly nodes: NodeSummary[];
    /** Service name → in-cluster `host:port`. */
    public readonly endpoints: pulumi.Output<Record<string, string>>;
    /** Generated credentials by name, secret. */
    public readonly credentials: pulumi.Output<Record<string, string>>;
    /** Every web UI's and routed app's URL with how to log in (passwords stay in `credentials`). */
    public readonly urls: Record<string, { url: string; login: string }>;
    /** The private CA's certificate (PEM) browsers must trust, when it issues the routes' certificates. */
    public readonly caCertificate?: pulumi.Output<string>;
    /** Kubeconfig scoped to the worker-agent namespace for the external orchestrator, secret. */
    public readonly orchestratorKubeconfig?: pulumi.Output<string>;

    constructor(name: string, plan: StackPlan, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:index:Picluster", name, {}, opts);
        const { config } = plan;
        const parent = { parent: this };
        this.cluster = config.existingCluster
            ? new ExistingCluster("cluster", { kubeconfig: config.kubeconfig as pulumi.Output<string> }, parent)
            : new K3sCluster("cluster", {
                      plan: plan.cluster as ClusterPlan,
                      nodeKeys: config.nodeKeys,
                      registrySecrets: plan.registrySecrets,
                      contextName: `picluster-${config.stack}`,
                      backups: plan.backups,
                      longhorn: plan.storage.kind === "longhorn",
                  }, parent);
        this.platform = new Platform("platform", { cluster: this.cluster, plan: plan.platform }, parent);
        const skipAwait = config.services.skipAwait;
        this.agentHost = new AgentHostPool("agent-host", { cluster: this.cluster, spec: config.agentHost, skipAwait, ollama: plan.ollama }, parent);
        this.workerAgents = new WorkerAgents("worker-agents", { cluster: this.cluster, spec: config.workerAgents, skipAwait, ollama: plan.ollama }, parent);

        this.kubeconfig = this.cluster.kubeconfig;
        this.nodes = config.cluster.nodes.map((n) => ({ name: n.name, host: n.host, role: n.role, arch: n.arch, labels: n.labels }));
        const agentEndpoint = this.agentHost.grpcEndpoint;
        this.endpoints = pulumi
            .all([this.platform.endpoints, agentEndpoint ?? pulumi.output(undefined)])
            .apply(([platform, grpc]): Record<string, string> => (grpc ? { ...platform, "agent-host": grpc } : platform));
        this.credentials = pulumi.secret(this.platform.credentials);
        this.urls = this.platform.urls;
        this.caCertificate = this.platform.caCertificate;
        this.orchestratorKubeconfig = this.workerAgents.orchestratorKubeconfig;
        this.registerOutputs({});
    }
}

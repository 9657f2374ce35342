import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../../stacks/schema/cluster";
import type { LonghornSpec, StorageSpec } from "../../../stacks/schema/storage";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import type { NamespaceRef } from "../../k8s/namespace";
import { longhornBackupJob, longhornBackupSecret, longhornBackupValues } from "../backups/longhorn";
import type { BackupPlan } from "../backups/plan";
import { nodeCapacities, type WorkloadDemand } from "../capacity";
import { HelmService } from "../helmService";
import { LONGHORN_DEFAULT_REPLICAS, longhornReplicaNodes } from "../storage";
import { resourceValues, type Values } from "../values";
import { defineService } from "./service";

export const LONGHORN_NAMESPACE = "longhorn-system";
export const LONGHORN_RELEASE = "longhorn";
/** Longhorn's default `guaranteedInstanceManagerCPU`: the share of each node's CPU its instance manager requests. */
export const INSTANCE_MANAGER_CPU_PERCENT = 12;

/**
 * Values for the upstream Longhorn chart: its StorageClass with the planned
 * replica count (not marked default: k3s's local-path already is, and the
 * program names the class on every volume), hard replica anti-affinity (a
 * node holds at most one copy of a volume), pods on a dead node deleted so
 * they can move, no phone-home, one UI pod, and with backups the target
 * and the name of its credentials Secret.
 */
export function longhornValues(spec: LonghornSpec, replicas: number, backups?: Pick<BackupPlan, "target">): Values {
    return {
        persistence: { defaultClass: false, defaultClassReplicaCount: replicas, reclaimPolicy: "Delete" },
        defaultSettings: {
            replicaSoftAntiAffinity: false,
            nodeDownPodDeletionPolicy: "delete-both-statefulset-and-deployment-pod",
            upgradeChecker: false,
            allowCollectingLonghornUsageMetrics: false,
        },
        longhornManager: { resources: resourceValues(spec.managerResources) },
        longhornUI: { replicas: 1 },
        ...(backups ? { defaultBackupStore: longhornBackupValues(backups) } : {}),
    };
}

/**
 * What Longhorn reserves on the nodes: its manager on every node that can
 * hold a replica, and each node's instance manager, which requests
 * INSTANCE_MANAGER_CPU_PERCENT of that node's CPU (one demand per node,
 * pinned by hostname). The UI, the driver deployer and the CSI sidecars
 * request nothing.
 */
export function longhornDemands(spec: LonghornSpec, nodes: NodeSpec[]): WorkloadDemand[] {
    const eligible = new Set(longhornReplicaNodes(nodes));
    return [
        { name: "longhorn/manager", ...spec.managerResources.requests, replicas: 1, perNode: true },
        ...nodeCapacities(nodes.filter((n) => eligible.has(n.name))).map((n) => ({
            name: `longhorn/instance-manager@${n.name}`,
            cpu: Math.round(n.cpu * INSTANCE_MANAGER_CPU_PERCENT * 10) / 1000,
            memory: "0",
            replicas: 1,
            nodeSelector: { "kubernetes.io/hostname": n.name },
        })),
    ];
}

export interface LonghornArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: LonghornSpec;
    /** Copies of each volume, as planned. */
    replicas: number;
    skipAwait: boolean;
    /** Volume backups to this target; none when undefined. */
    backups?: BackupPlan;
}

/**
 * Replicated block storage: the Longhorn chart (its StorageClass
 * `longhorn`), and with backups the target's credentials Secret and a
 * RecurringJob that backs up every volume.
 */
export class Longhorn extends pulumi.ComponentResource {
    readonly helm: HelmService;
    /** The recurring backup of every volume (with backups only). */
    readonly backupJob?: pulumi.CustomResource;

    constructor(name: string, args: LonghornArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:Longhorn", name, {}, opts);
        const { cluster, namespace, backups } = args;
        const k8sOpts = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: cluster.provider,
            dependsOn: [...cluster.readyResources, namespace.resource, ...deps],
        });
        const secret = backups ? longhornBackupSecret(`${name}-backup-s3`, backups, namespace.name, k8sOpts()) : undefined;
        this.helm = new HelmService(
            name,
            {
                cluster,
                namespace,
                releaseName: LONGHORN_RELEASE,
                chart: { chart: "longhorn", repo: args.spec.repo, version: args.spec.version },
                defaults: longhornValues(args.spec, args.replicas, backups),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                dependsOn: secret ? [secret] : [],
            },
            { parent: this },
        );
        // The RecurringJob kind comes with the chart's CRDs.
        if (backups) this.backupJob = longhornBackupJob(`${name}-backup-job`, backups, namespace.name, k8sOpts([this.helm.release]));
        this.registerOutputs({});
    }
}

/** Longhorn as the platform's storage: `picluster:services.storage` with kind `longhorn`. */
export const longhornService = defineService({
    key: "storage",
    type: "picluster:platform:Longhorn",
    // longhorn-manager and the instance managers are privileged and mount the host.
    namespaces: [{ name: LONGHORN_NAMESPACE, podSecurity: "privileged" }],
    enabledBy: (spec: StorageSpec) => spec.kind === "longhorn",
    // Replicas against the nodes are checked once by the plan (components/platform/storage.ts).
    validate: () => [],
    demands: (spec, ctx) => longhornDemands(spec.longhorn, ctx.nodes),
    create(name, args, opts) {
        const component = new Longhorn(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespaces[LONGHORN_NAMESPACE],
                spec: args.spec.longhorn,
                replicas: args.storage?.longhorn?.replicas ?? LONGHORN_DEFAULT_REPLICAS,
                skipAwait: args.skipAwait,
                backups: args.backups,
            },
            opts,
        );
        return {
            component,
            endpoints: { longhorn: `longhorn-frontend.${LONGHORN_NAMESPACE}.svc.cluster.local:80` },
            credentials: {},
            // Every later volume is of its class: nothing may wait on a PVC before the chart is installed.
            platformReady: [component.helm.release],
        };
    },
});

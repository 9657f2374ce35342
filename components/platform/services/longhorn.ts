import * as pulumi from "@pulumi/pulumi";
import type { LonghornSpec } from "../../../config/schema/storage";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import type { NamespaceRef } from "../../k8s/namespace";
import { longhornBackupJob, longhornBackupSecret, longhornBackupValues } from "../backups/longhorn";
import type { BackupPlan } from "../../../plan/backups";
import { HelmService } from "../helmService";
import { LONGHORN_DEFAULT_REPLICAS } from "../../../plan/storage";
import { LONGHORN_NAMESPACE } from "../../../plan/services/storage";
import { resourceValues, type Values } from "../../../plan/values";
import { defineService } from "./service";

export const LONGHORN_RELEASE = "longhorn";

/**
 * Values for the upstream Longhorn chart: its StorageClass with the planned
 * replica count (not marked default: k3s's local-path already is, and the
 * program names the class on every volume), hard replica anti-affinity (a
 * node holds at most one copy of a volume), pods on a dead node deleted so
 * they can move, no phone-home, one UI pod, the uninstall confirmed (its
 * pre-delete hook refuses to run otherwise, so `destroy` or a switch back to
 * local-path would fail: the preview is the confirmation), and with backups
 * the target and the name of its credentials Secret.
 */
export function longhornValues(spec: LonghornSpec, replicas: number, backups?: Pick<BackupPlan, "target">): Values {
    return {
        persistence: { defaultClass: false, defaultClassReplicaCount: replicas, reclaimPolicy: "Delete" },
        defaultSettings: {
            replicaSoftAntiAffinity: false,
            nodeDownPodDeletionPolicy: "delete-both-statefulset-and-deployment-pod",
            upgradeChecker: false,
            allowCollectingLonghornUsageMetrics: false,
            // The chart's key for the `deleting-confirmation-flag` setting (chart 1.12.1, templates/default-setting.yaml).
            deletingConfirmationFlag: true,
        },
        longhornManager: { resources: resourceValues(spec.managerResources) },
        longhornUI: { replicas: 1 },
        ...(backups ? { defaultBackupStore: longhornBackupValues(backups) } : {}),
    };
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
            platformReady: [component.helm.ready],
        };
    },
});

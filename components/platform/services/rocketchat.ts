import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RocketchatSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { HelmService } from "../helmService";
import { standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { resourceValues, type Values } from "../../../plan/values";
import { MongoDump } from "../backups/mongodbDump";
import { defineService } from "./service";
import { MONGODB_EXPORTER_RESOURCES, ROCKETCHAT_NAMESPACE } from "../../../plan/services/rocketchat";

export { MONGODB_EXPORTER_RESOURCES };

export const ROCKETCHAT_RELEASE = "rocketchat";
/** Secret the Bitnami MongoDB subchart reads (auth.existingSecret). */
export const MONGODB_AUTH_SECRET = "rocketchat-mongodb-auth";
/** Secret Rocket.Chat reads its MONGO_URL from (existingMongodbSecret, key mongo-uri). */
export const MONGO_URI_SECRET = "rocketchat-mongo-uri";
const MONGO_USER = "rocketchat";
const MONGO_DB = "rocketchat";
const REPLICA_SET = "rs0";
/** Rocket.Chat's image is amd64-only (RocketChat/Rocket.Chat#37647) and MongoDB 5+ needs ARMv8.2: both go to amd64. */
export function rocketchatNodeSelector(spec: RocketchatSpec): Record<string, string> {
    return { "kubernetes.io/arch": "amd64", ...spec.nodeSelector };
}

/** Values for the official `rocketchat` chart; no secret appears here, only Secret names. */
export function rocketchatValues(spec: RocketchatSpec, ctx: { storageClass: string; monitoring: boolean }): Values {
    const nodeSelector = rocketchatNodeSelector(spec);
    return {
        global: { nodeSelector },
        nodeSelector,
        // The chart's defaults (uid/fsGroup 65533) plus the promise the pack's non-root rule asks for.
        securityContext: { runAsNonRoot: true },
        replicaCount: 1,
        resources: resourceValues(spec.resources),
        // The monolith: the microservices deployment and its NATS need more than a home lab has.
        microservices: { enabled: false },
        nats: { enabled: false, nodeSelector, natsbox: { nodeSelector } },
        existingMongodbSecret: MONGO_URI_SECRET,
        // The public host sets ROOT_URL (https://<host>); the route is the front door's (plan/ingress), never the chart's Ingress.
        ...(spec.host ? { host: spec.host } : {}),
        ingress: { enabled: false },
        // PodMonitor/ServiceMonitor kinds exist only when kube-prometheus-stack is installed.
        podMonitor: { enabled: ctx.monitoring },
        serviceMonitor: { enabled: false },
        mongodb: {
            enabled: true,
            // Bitnami's free images moved to bitnamilegacy (frozen) in Aug 2025; the chart already points
            // there, and its MongoDB 13.x subchart predates the image check (no allowInsecureImages needed).
            nodeSelector,
            resources: resourceValues(spec.mongodbResources),
            auth: { existingSecret: MONGODB_AUTH_SECRET, usernames: [MONGO_USER], databases: [MONGO_DB] },
            architecture: "replicaset",
            replicaSetName: REPLICA_SET,
            replicaCount: 1,
            persistence: { enabled: true, size: spec.storage.size, storageClass: spec.storage.storageClass ?? ctx.storageClass },
            // local-path volumes are already writable; the root init container is not needed.
            volumePermissions: { enabled: false },
            metrics: { enabled: ctx.monitoring, resources: MONGODB_EXPORTER_RESOURCES },
            serviceMonitor: { enabled: ctx.monitoring },
        },
    };
}

/** The MongoDB connection string Rocket.Chat uses (secret: it embeds the password). */
export function mongoUri(password: pulumi.Input<string>): pulumi.Output<string> {
    const host = `${ROCKETCHAT_RELEASE}-mongodb-headless`;
    return pulumi.secret(pulumi.interpolate`mongodb://${MONGO_USER}:${password}@${host}:27017/${MONGO_DB}?replicaSet=${REPLICA_SET}`);
}

export interface RocketChatArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    spec: RocketchatSpec;
    storageClass: string;
    skipAwait: boolean;
    /** kube-prometheus-stack is installed (its CRDs exist). */
    monitoring: boolean;
    dependsOn?: pulumi.Resource[];
}

/** Rocket.Chat and its MongoDB, both pinned to amd64, with generated MongoDB passwords held in Secrets. */
export class RocketChat extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly endpoint: string;
    readonly mongodbRootPassword: pulumi.Output<string>;
    readonly mongodbPassword: pulumi.Output<string>;

    constructor(name: string, args: RocketChatArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:RocketChat", name, {}, opts);
        const gen = (what: string) => pulumi.secret(new random.RandomPassword(`${name}-${what}`, { length: 32, special: false }, { parent: this }).result);
        this.mongodbPassword = gen("mongodb-password");
        this.mongodbRootPassword = gen("mongodb-root-password");
        const replicaSetKey = gen("mongodb-replica-set-key");
        const k8sOpts: pulumi.CustomResourceOptions = {
            parent: this,
            provider: args.cluster.provider,
            dependsOn: [...args.cluster.readyResources, args.namespace.resource],
        };
        const auth = new k8s.core.v1.Secret(
            `${name}-mongodb-auth`,
            {
                metadata: { name: MONGODB_AUTH_SECRET, namespace: args.namespace.name, labels: standardLabels("rocketchat", "mongodb") },
                stringData: {
                    "mongodb-passwords": this.mongodbPassword,
                    "mongodb-root-password": this.mongodbRootPassword,
                    "mongodb-replica-set-key": replicaSetKey,
                },
            },
            k8sOpts,
        );
        const uri = new k8s.core.v1.Secret(
            `${name}-mongo-uri`,
            {
                metadata: { name: MONGO_URI_SECRET, namespace: args.namespace.name, labels: standardLabels("rocketchat", "mongodb") },
                stringData: { "mongo-uri": mongoUri(this.mongodbPassword) },
            },
            k8sOpts,
        );
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: ROCKETCHAT_RELEASE,
                chart: { chart: "rocketchat", repo: args.spec.repo, version: args.spec.version },
                defaults: rocketchatValues(args.spec, { storageClass: args.storageClass, monitoring: args.monitoring }),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                dependsOn: [auth, uri, ...(args.dependsOn ?? [])],
            },
            { parent: this },
        );
        // The chart names its Service "<release>-<chart>" whatever the release is called.
        this.endpoint = `${ROCKETCHAT_RELEASE}-rocketchat.${args.namespace.name}.svc.cluster.local:80`;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

/** Rocket.Chat and its MongoDB as a built-in service: `picluster:services.rocketchat`. */
export const rocketchatService = defineService({
    key: "rocketchat",
    type: "picluster:platform:RocketChat",
    create(name, args, opts) {
        const component = new RocketChat(
            name,
            {
                ...args,
                namespace: args.namespaces[ROCKETCHAT_NAMESPACE],
                monitoring: args.created.monitoring !== undefined,
                // Its PodMonitor kind comes with kube-prometheus-stack.
                dependsOn: args.created.monitoring?.ready ?? [],
            },
            opts,
        );
        if (args.backups) {
            new MongoDump(
                `${name}-mongodb-dump`,
                { cluster: args.cluster, namespace: args.namespaces[ROCKETCHAT_NAMESPACE], plan: args.backups, uriSecret: { name: MONGO_URI_SECRET, key: "mongo-uri" }, dependsOn: [component.helm.release] },
                { parent: component },
            );
        }
        return { component, endpoints: { rocketchat: component.endpoint }, credentials: { "rocketchat/mongodb-root": component.mongodbRootPassword } };
    },
});

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
import { METRICS_PORT_NAME, MONGODB_AUTH_SECRET, MONGODB_SELECTOR, mongoUri, RocketChatMongo } from "./rocketchatMongo";

export { MONGODB_EXPORTER_RESOURCES };

export const ROCKETCHAT_RELEASE = "rocketchat";
/** Secret Rocket.Chat reads its MONGO_URL from (existingMongodbSecret, key mongo-uri). */
export const MONGO_URI_SECRET = "rocketchat-mongo-uri";
export { MONGODB_AUTH_SECRET, mongoUri };

/** Rocket.Chat's image is amd64-only (RocketChat/Rocket.Chat#37647): it goes to amd64, and its MongoDB beside it. */
export function rocketchatNodeSelector(spec: RocketchatSpec): Record<string, string> {
    return { "kubernetes.io/arch": "amd64", ...spec.nodeSelector };
}

/** Values for the official `rocketchat` chart; no secret appears here, only Secret names. */
export function rocketchatValues(spec: RocketchatSpec, ctx: { monitoring: boolean }): Values {
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
            // The vendored Bitnami MongoDB is 6.0 (bitnamilegacy, frozen), which Rocket.Chat 8 refuses:
            // our own MongoDB 8.0 (RocketChatMongo) instead, as upstream's "bring your own MongoDB" (PR #217).
            enabled: false,
            // The chart's ServiceMonitor for an external MongoDB (templates/mongodb-monitor.yaml), pointed at
            // the exporter sidecar: the one scrape of it (the chart's PodMonitor selects only its own pods).
            metrics: { enabled: ctx.monitoring, serviceMonitor: { enabled: false } },
            serviceMonitor: { enabled: ctx.monitoring, selector: MONGODB_SELECTOR, port: METRICS_PORT_NAME },
        },
    };
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

/** Rocket.Chat (the chart, amd64) and its MongoDB (RocketChatMongo), with generated passwords held in Secrets. */
export class RocketChat extends pulumi.ComponentResource {
    readonly helm: HelmService;
    readonly mongo: RocketChatMongo;
    readonly endpoint: string;
    readonly mongodbRootPassword: pulumi.Output<string>;
    readonly mongodbPassword: pulumi.Output<string>;

    constructor(name: string, args: RocketChatArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:RocketChat", name, {}, opts);
        const gen = (what: string) => pulumi.secret(new random.RandomPassword(`${name}-${what}`, { length: 32, special: false }, { parent: this }).result);
        this.mongodbPassword = gen("mongodb-password");
        this.mongodbRootPassword = gen("mongodb-root-password");
        const keyFile = gen("mongodb-replica-set-key");
        const metrics = gen("mongodb-metrics-password");
        this.mongo = new RocketChatMongo(
            `${name}-mongo`,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                spec: args.spec,
                storageClass: args.storageClass,
                skipAwait: args.skipAwait,
                monitoring: args.monitoring,
                secrets: { root: this.mongodbRootPassword, app: this.mongodbPassword, metrics, keyFile },
            },
            { parent: this },
        );
        const uri = new k8s.core.v1.Secret(
            `${name}-mongo-uri`,
            {
                metadata: { name: MONGO_URI_SECRET, namespace: args.namespace.name, labels: standardLabels("rocketchat", "mongodb") },
                stringData: { "mongo-uri": mongoUri(this.mongodbPassword, args.namespace.name) },
            },
            { parent: this, provider: args.cluster.provider, dependsOn: [...args.cluster.readyResources, args.namespace.resource] },
        );
        this.helm = new HelmService(
            name,
            {
                cluster: args.cluster,
                namespace: args.namespace,
                releaseName: ROCKETCHAT_RELEASE,
                chart: { chart: "rocketchat", repo: args.spec.repo, version: args.spec.version },
                defaults: rocketchatValues(args.spec, { monitoring: args.monitoring }),
                overrides: args.spec.values,
                timeoutSeconds: args.spec.timeoutSeconds,
                skipAwait: args.skipAwait,
                // Rocket.Chat starts only against a MongoDB that is up, initiated and has its user.
                dependsOn: [uri, this.mongo.statefulSet, ...(args.dependsOn ?? [])],
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

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseBytes } from "../../../config/quantity";
import { rocketchatMongodbImage, type RocketchatSpec } from "../../../config/schema/services";
import type { ClusterTarget } from "../../cluster/clusterTarget";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../k8s/hardening";
import { skipAwaitAnnotations, standardLabels } from "../../k8s/labels";
import type { NamespaceRef } from "../../k8s/namespace";
import { resourceValues } from "../../../plan/values";
import { MONGODB_EXPORTER_IMAGE, MONGODB_EXPORTER_RESOURCES, ROCKETCHAT_MONGO } from "../../../plan/services/rocketchat";
import { MONITORING_NAMESPACE } from "../../../plan/services/monitoring";

type Container = k8s.types.input.core.v1.Container;

/**
 * The Secret with the MongoDB passwords and the replica-set key, and its keys. Not the
 * Bitnami-era `rocketchat-mongodb-auth` (another resource): an upgrade creates this one
 * before it deletes that one, so the names must differ.
 */
export const MONGODB_AUTH_SECRET = "rocketchat-mongo-auth";
export const MONGODB_AUTH_KEYS = { root: "root-password", app: "rocketchat-password", metrics: "metrics-password", keyFile: "replica-set-key" } as const;
/** The ConfigMap holding mongod.sh and init.js (components/platform/services/mongodb). */
export const MONGODB_SCRIPTS = "rocketchat-mongo-scripts";
/** The uid and gid of the `mongodb` user in the official image. */
export const MONGODB_UID = 999;
/** Written by mongod.sh once the replica set and its users are in place; the readiness probe needs it. */
export const READY_MARKER = "/tmp/mongo-initialized";
/** The pod's labels; the dump's NetworkPolicy selects `app.kubernetes.io/name: mongodb`. */
export const MONGODB_POD_LABELS = { ...standardLabels("mongodb", "rocketchat-database"), "app.kubernetes.io/instance": ROCKETCHAT_MONGO.name };
/** What the Service and the StatefulSet select on. */
export const MONGODB_SELECTOR = { "app.kubernetes.io/name": "mongodb", "app.kubernetes.io/instance": ROCKETCHAT_MONGO.name };
/** The exporter's port name; the rocketchat chart's `mongodb.serviceMonitor` scrapes it. */
export const METRICS_PORT_NAME = "http-metrics";

/** The DNS name of the set's only member, as clients and the set's config name it. */
export function memberHost(namespace: string): string {
    return `${ROCKETCHAT_MONGO.name}-0.${ROCKETCHAT_MONGO.name}.${namespace}.svc.cluster.local:${ROCKETCHAT_MONGO.port}`;
}

/** The connection string Rocket.Chat and the dump use (secret: it embeds the password; generated passwords are alphanumeric). */
export function mongoUri(password: pulumi.Input<string>, namespace: string): pulumi.Output<string> {
    const { user, database, replicaSet } = ROCKETCHAT_MONGO;
    return pulumi.secret(pulumi.interpolate`mongodb://${user}:${password}@${memberHost(namespace)}/${database}?replicaSet=${replicaSet}`);
}

/**
 * WiredTiger's cache for a container memory limit: MongoDB's own rule, 50 %
 * of (memory − 1 GiB) with 0.25 GiB at least, taken from the limit rather
 * than the node (mongod would size it from the whole machine otherwise).
 */
export function wiredTigerCacheGB(memoryLimit: string): number {
    const gib = parseBytes(memoryLimit) / 2 ** 30;
    return Math.max(0.25, Math.floor((gib - 1) * 0.5 * 100) / 100);
}

const SCRIPT_DIR = path.join(__dirname, "mongodb");
/** mongod.sh and init.js as shipped. */
export function mongoScripts(): Record<string, string> {
    return Object.fromEntries(["mongod.sh", "init.js"].map((f) => [f, fs.readFileSync(path.join(SCRIPT_DIR, f), "utf8")]));
}

export interface RocketChatMongoArgs {
    cluster: ClusterTarget;
    namespace: NamespaceRef;
    /** `services.rocketchat`: mongodb.version, mongodbResources, storage, nodeSelector. */
    spec: RocketchatSpec;
    /** The platform's StorageClass, for a volume that names none. */
    storageClass: string;
    skipAwait: boolean;
    /** Run the exporter sidecar and let the monitoring namespace reach it. */
    monitoring: boolean;
    /** The generated secrets (Pulumi secrets): root, application and metrics passwords, replica-set key. */
    secrets: { root: pulumi.Input<string>; app: pulumi.Input<string>; metrics: pulumi.Input<string>; keyFile: pulumi.Input<string> };
}

const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: MONGODB_AUTH_SECRET, key } } });
const mount = (name: string, mountPath: string, readOnly = false) => ({ name, mountPath, readOnly });

/** The mongod container: mongod.sh, its parameters by environment, probes on the ready marker and the port. */
export function mongodContainer(args: Pick<RocketChatMongoArgs, "spec">, namespace: string): Container {
    const { spec } = args;
    const m = ROCKETCHAT_MONGO;
    return {
        name: "mongod",
        image: rocketchatMongodbImage(spec.mongodb.version),
        command: ["bash", "/scripts/mongod.sh"],
        env: [
            { name: "REPLICA_SET", value: m.replicaSet },
            { name: "KEY_FILE", value: "/keyfile/keyfile" },
            { name: "DB_PATH", value: "/data/db" },
            { name: "CACHE_GB", value: String(wiredTigerCacheGB(spec.mongodbResources.limits.memory)) },
            { name: "INIT_JS", value: "/scripts/init.js" },
            { name: "READY_MARKER", value: READY_MARKER },
            { name: "HOME", value: "/tmp" },
            { name: "MEMBER_HOST", value: memberHost(namespace) },
            { name: "ROOT_USER", value: m.rootUser },
            fromSecret("ROOT_PASSWORD", MONGODB_AUTH_KEYS.root),
            { name: "APP_DB", value: m.database },
            { name: "APP_USER", value: m.user },
            fromSecret("APP_PASSWORD", MONGODB_AUTH_KEYS.app),
            { name: "METRICS_USER", value: m.metricsUser },
            fromSecret("METRICS_PASSWORD", MONGODB_AUTH_KEYS.metrics),
        ],
        ports: [{ name: "mongodb", containerPort: m.port }],
        resources: resourceValues(spec.mongodbResources),
        // Journal recovery after a hard stop can take minutes on an SD card or a busy disk.
        startupProbe: { tcpSocket: { port: m.port }, periodSeconds: 10, failureThreshold: 60 },
        readinessProbe: { exec: { command: ["bash", "-c", `test -f ${READY_MARKER} && mongosh --quiet --eval 'quit(db.hello().isWritablePrimary ? 0 : 1)'`] }, periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 4 },
        livenessProbe: { tcpSocket: { port: m.port }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        securityContext: restrictedContainerSecurityContext(MONGODB_UID, true),
        volumeMounts: [mount("data", "/data/db"), mount("keyfile", "/keyfile", true), mount("scripts", "/scripts", true), mount("tmp", "/tmp")],
    };
}

/** The exporter sidecar: the metrics user from the Secret (never argv), localhost only. */
export function exporterContainer(): Container {
    return {
        name: "exporter",
        image: MONGODB_EXPORTER_IMAGE,
        args: [`--mongodb.uri=mongodb://127.0.0.1:${ROCKETCHAT_MONGO.port}/admin?directConnection=true`, "--collect-all", "--compatible-mode", `--web.listen-address=:${ROCKETCHAT_MONGO.metricsPort}`],
        env: [{ name: "MONGODB_USER", value: ROCKETCHAT_MONGO.metricsUser }, fromSecret("MONGODB_PASSWORD", MONGODB_AUTH_KEYS.metrics)],
        ports: [{ name: METRICS_PORT_NAME, containerPort: ROCKETCHAT_MONGO.metricsPort }],
        resources: resourceValues(MONGODB_EXPORTER_RESOURCES),
        readinessProbe: { httpGet: { path: "/", port: METRICS_PORT_NAME }, periodSeconds: 30, timeoutSeconds: 5 },
        livenessProbe: { tcpSocket: { port: METRICS_PORT_NAME }, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 6 },
        securityContext: restrictedContainerSecurityContext(MONGODB_UID, true),
    };
}

/** The StatefulSet's pod: the key copied to a private 0400 file first (mongod refuses a group-readable key), then mongod (+ exporter). */
export function mongoPodSpec(args: Pick<RocketChatMongoArgs, "spec" | "monitoring">, namespace: string): k8s.types.input.core.v1.PodSpec {
    return {
        nodeSelector: { "kubernetes.io/arch": "amd64", ...args.spec.nodeSelector },
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 60,
        securityContext: { ...restrictedPodSecurityContext(MONGODB_UID), fsGroupChangePolicy: "OnRootMismatch" },
        initContainers: [
            {
                name: "keyfile",
                image: rocketchatMongodbImage(args.spec.mongodb.version),
                command: ["/bin/sh", "-c", "cp /keyfile-secret/keyfile /keyfile/keyfile && chmod 0400 /keyfile/keyfile"],
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                securityContext: restrictedContainerSecurityContext(MONGODB_UID, true),
                volumeMounts: [mount("keyfile-secret", "/keyfile-secret", true), mount("keyfile", "/keyfile")],
            },
        ],
        containers: [mongodContainer(args, namespace), ...(args.monitoring ? [exporterContainer()] : [])],
        volumes: [
            { name: "keyfile-secret", secret: { secretName: MONGODB_AUTH_SECRET, items: [{ key: MONGODB_AUTH_KEYS.keyFile, path: "keyfile" }], defaultMode: 0o440 } },
            { name: "keyfile", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            { name: "scripts", configMap: { name: MONGODB_SCRIPTS, defaultMode: 0o444 } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
    };
}

/**
 * Rocket.Chat's MongoDB: the official `mongo` image as a one-member replica
 * set `rs0` (Rocket.Chat needs the oplog) in a StatefulSet with its own
 * volume, a headless Service, the passwords and key in a Secret, and a
 * NetworkPolicy (its port from the namespace, the exporter's from
 * monitoring). Replaces the rocketchat chart's Bitnami MongoDB 6.0.
 */
export class RocketChatMongo extends pulumi.ComponentResource {
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly service: k8s.core.v1.Service;
    readonly secret: k8s.core.v1.Secret;

    constructor(name: string, args: RocketChatMongoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:platform:RocketChatMongo", name, {}, opts);
        const ns = args.namespace.name;
        const m = ROCKETCHAT_MONGO;
        const k8sOpts = (deps: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.cluster.provider,
            dependsOn: [...args.cluster.readyResources, args.namespace.resource, ...deps],
        });
        const labels = MONGODB_POD_LABELS;
        this.secret = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { name: MONGODB_AUTH_SECRET, namespace: ns, labels },
                stringData: {
                    [MONGODB_AUTH_KEYS.root]: pulumi.secret(args.secrets.root),
                    [MONGODB_AUTH_KEYS.app]: pulumi.secret(args.secrets.app),
                    [MONGODB_AUTH_KEYS.metrics]: pulumi.secret(args.secrets.metrics),
                    [MONGODB_AUTH_KEYS.keyFile]: pulumi.secret(args.secrets.keyFile),
                },
            },
            k8sOpts(),
        );
        const scripts = mongoScripts();
        const configMap = new k8s.core.v1.ConfigMap(`${name}-scripts`, { metadata: { name: MONGODB_SCRIPTS, namespace: ns, labels }, data: scripts }, k8sOpts());
        this.service = new k8s.core.v1.Service(
            name,
            {
                metadata: { name: m.name, namespace: ns, labels },
                spec: {
                    clusterIP: "None",
                    // The member resolves its own name while it is not ready yet (rs.initiate checks it).
                    publishNotReadyAddresses: true,
                    selector: MONGODB_SELECTOR,
                    ports: [{ name: "mongodb", port: m.port, targetPort: "mongodb" }, ...(args.monitoring ? [{ name: METRICS_PORT_NAME, port: m.metricsPort, targetPort: METRICS_PORT_NAME }] : [])],
                },
            },
            k8sOpts(),
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: `${m.name}-ingress`, namespace: ns, labels },
                spec: {
                    podSelector: { matchLabels: MONGODB_SELECTOR },
                    policyTypes: ["Ingress"],
                    ingress: [
                        // Rocket.Chat, the dump and restore Jobs, and the member itself.
                        { from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port: m.port }] },
                        ...(args.monitoring ? [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } }], ports: [{ protocol: "TCP", port: m.metricsPort }] }] : []),
                    ],
                },
            },
            k8sOpts(),
        );
        const scriptsHash = crypto.createHash("sha256").update(JSON.stringify(scripts)).digest("hex").slice(0, 16);
        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name: m.name, namespace: ns, labels, annotations: skipAwaitAnnotations(args.skipAwait) },
                spec: {
                    serviceName: m.name,
                    replicas: 1,
                    selector: { matchLabels: MONGODB_SELECTOR },
                    updateStrategy: { type: "RollingUpdate" },
                    template: { metadata: { labels, annotations: { "picluster.io/scripts-sha256": scriptsHash } }, spec: mongoPodSpec(args, ns) },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels: MONGODB_SELECTOR },
                            spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.spec.storage.storageClass ?? args.storageClass, resources: { requests: { storage: args.spec.storage.size } } },
                        },
                    ],
                },
            },
            k8sOpts([this.secret, configMap, this.service]),
        );
        this.registerOutputs({});
    }
}

import * as yaml from "js-yaml";
import { endpointHost, type ClusterSpec, type NodeSpec } from "../../../config/schema/cluster";
import { apiEndpointOf, isHighlyAvailable, type JoinRole } from "../../../plan/topology";
import { etcdS3ConfigKeys, type EtcdS3Settings } from "../etcdBackup";

/**
 * The join tokens. Servers hold the server token (full admin, and the key of
 * the datastore's encrypted secrets) and the agent token; agents get only the
 * agent token, in the secure format that pins the cluster CA:
 * `K10<sha256 of the server CA PEM>::node:<agent token>`.
 */
export interface JoinTokens {
    server: string;
    agent: string;
    /** sha256 (hex) of the first server's server-ca.crt, read after its install. */
    caHash?: string;
}

const CA_HASH = /^[0-9a-f]{64}$/;

/** The secure-format token a node of `role` joins with. */
export function secureToken(caHash: string, user: "server" | "node", password: string): string {
    if (!CA_HASH.test(caHash)) throw new Error(`the cluster CA hash read from the first server is not a sha256 ('${caHash}'); is k3s running there?`);
    return `K10${caHash}::${user}:${password}`;
}

/**
 * Renders /etc/rancher/k3s/config.yaml for one node. The result contains the
 * join token (and the backup target's credentials when `etcdS3` is given),
 * so callers keep it inside a secret Output. With `etcdS3` even a single
 * server runs embedded etcd (cluster-init; k3s converts an existing SQLite
 * datastore on the next start), so there are snapshots to upload.
 */
export function renderK3sConfig(args: { cluster: ClusterSpec; node: NodeSpec; role: JoinRole; tokens: JoinTokens; serverUrl: string; etcdS3?: EtcdS3Settings }): string {
    const { cluster, node, role, tokens, serverUrl, etcdS3 } = args;
    // The first server starts with the short server token (its CA does not
    // exist yet); everyone else joins with the CA pinned.
    const token =
        role === "init" ? tokens.server : role === "join-server" ? secureToken(tokens.caHash ?? "", "server", tokens.server) : secureToken(tokens.caHash ?? "", "node", tokens.agent);
    const config: Record<string, unknown> = { token, "node-name": node.name };
    if (role !== "init") config.server = serverUrl;
    if (node.dataDir) config["data-dir"] = `${node.dataDir}/k3s`;
    if (role !== "agent") {
        config["agent-token"] = tokens.agent;
        // The VIP is in every server's certificate before any node or client uses it.
        config["tls-san"] = [...new Set([endpointHost(apiEndpointOf(cluster)), node.host, ...(cluster.apiVip ? [cluster.apiVip] : []), ...cluster.tlsSans])];
        config["write-kubeconfig-mode"] = "0600";
        const s = cluster.server;
        if (s.disable.length > 0) config.disable = s.disable;
        config["cluster-cidr"] = s.clusterCidr;
        config["service-cidr"] = s.serviceCidr;
        config["flannel-backend"] = s.flannelBackend;
        if (s.secretsEncryption) config["secrets-encryption"] = true;
        if (node.dataDir) config["default-local-storage-path"] = `${node.dataDir}/storage`;
        if (isHighlyAvailable(cluster.nodes) || etcdS3) {
            if (role === "init") config["cluster-init"] = true;
            config["etcd-snapshot-schedule-cron"] = s.etcdSnapshotCron;
            config["etcd-snapshot-retention"] = s.etcdSnapshotRetention;
            if (etcdS3) Object.assign(config, etcdS3ConfigKeys(etcdS3));
        }
    }
    return yaml.dump(config, { sortKeys: true, lineWidth: -1 });
}

/**
 * Rewrites the kubeconfig k3s writes (server https://127.0.0.1:6443) to the
 * cluster's API endpoint, with `token` (when given) as the only credential. Pure and deterministic, so the exported kubeconfig
 * stays byte-identical across runs.
 */
export function rewriteKubeconfig(kubeconfig: string, serverUrl: string, contextName: string, token?: string): string {
    const doc = yaml.load(kubeconfig) as {
        clusters?: { name: string; cluster: Record<string, unknown> }[];
        contexts?: { name: string; context: Record<string, unknown> }[];
        users?: { name: string; user: Record<string, unknown> }[];
        "current-context"?: string;
    };
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
        throw new Error("the kubeconfig read from the first server has no clusters; is k3s running there?");
    }
    for (const c of doc.clusters) {
        c.name = contextName;
        c.cluster.server = serverUrl;
    }
    for (const u of doc.users ?? []) {
        u.name = contextName;
        // A bearer token in place of the client certificate and key.
        if (token !== undefined) u.user = { token };
    }
    for (const c of doc.contexts ?? []) {
        c.name = contextName;
        c.context.cluster = contextName;
        c.context.user = contextName;
    }
    doc["current-context"] = contextName;
    return yaml.dump(doc, { lineWidth: -1 });
}

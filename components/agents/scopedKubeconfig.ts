import * as yaml from "js-yaml";

interface KubeconfigDoc {
    "current-context"?: string;
    contexts?: { name: string; context?: { cluster?: string } }[];
    clusters?: { name: string; cluster?: { server?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean } }[];
}

/** The API server URL and CA of the admin kubeconfig's current context. */
export function clusterEndpoint(adminKubeconfig: string): { server: string; certificateAuthorityData: string } {
    const doc = yaml.load(adminKubeconfig) as KubeconfigDoc | undefined;
    if (!doc || typeof doc !== "object") throw new Error("the cluster kubeconfig is not a YAML mapping");
    const contextName = doc["current-context"] ?? doc.contexts?.[0]?.name;
    const clusterName = doc.contexts?.find((c) => c.name === contextName)?.context?.cluster ?? doc.clusters?.[0]?.name;
    const cluster = doc.clusters?.find((c) => c.name === clusterName)?.cluster;
    if (!cluster?.server) throw new Error(`the cluster kubeconfig has no server for context '${contextName ?? "(none)"}'`);
    const ca = cluster["certificate-authority-data"];
    // Without an embedded CA the scoped kubeconfig would have to skip TLS
    // verification; refuse rather than hand out a token over unverified TLS.
    if (!ca) throw new Error("the cluster kubeconfig has no certificate-authority-data; embed the CA (k3s does by default)");
    return { server: cluster.server, certificateAuthorityData: ca };
}

/**
 * A kubeconfig that authenticates as one ServiceAccount (bearer token) and
 * defaults to its namespace, against the admin kubeconfig's server and CA.
 * Pure: call it inside an `apply` and keep the result secret.
 */
export function scopedKubeconfig(adminKubeconfig: string, token: string, namespace: string, user: string): string {
    const { server, certificateAuthorityData } = clusterEndpoint(adminKubeconfig);
    const context = `${user}@${namespace}`;
    return yaml.dump(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "picluster", cluster: { server, "certificate-authority-data": certificateAuthorityData } }],
            users: [{ name: user, user: { token } }],
            contexts: [{ name: context, context: { cluster: "picluster", user, namespace } }],
            "current-context": context,
        },
        { noRefs: true, lineWidth: -1 },
    );
}

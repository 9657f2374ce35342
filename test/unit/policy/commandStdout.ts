import * as yaml from "js-yaml";

/** A kubeconfig as k3s writes it, with a recognisable client key. */
export function k3sKubeconfig(clientKey = "a2V5"): string {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0E=" } }],
        contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
        users: [{ name: "default", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": clientKey } }],
        "current-context": "default",
    });
}

/** What the cluster's remote commands print under mocks: the kubeconfig, and a clean pre-flight per node. */
export function clusterCommandStdout(clientKey?: string): (name: string) => string {
    return (name) => {
        if (name.endsWith("-kubeconfig")) return k3sKubeconfig(clientKey);
        const preflight = /^(.*)-preflight$/.exec(name);
        if (preflight) return `check arch ok\nfact hostname ${preflight[1]}\nfact machine-id id-${preflight[1]}\n`;
        return "";
    };
}

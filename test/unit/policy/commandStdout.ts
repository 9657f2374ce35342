import * as yaml from "js-yaml";
import { defaultCommandStdout } from "../../helpers/mocks";

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

/** What the cluster's remote commands print under mocks: this kubeconfig, the rest as the shared mocks answer (pre-flight, CA hash, admin token). */
export function clusterCommandStdout(clientKey?: string): (name: string) => string {
    return (name) => (name.endsWith("-kubeconfig") ? k3sKubeconfig(clientKey) : defaultCommandStdout(name));
}

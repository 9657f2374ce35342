import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../plan/cluster";
import type { NodeConnections } from "./connection";
import { rewriteKubeconfig } from "./install/k3sConfig";
import type { InstallChain } from "./install/installChain";
import { scriptCommand } from "./nodeScripts";

/** The token admin-credential.sh prints (base64, as the Secret stores it), decoded. */
export function decodeToken(stdout: string): string {
    const token = Buffer.from(stdout.trim(), "base64").toString("utf8");
    if (!token) throw new Error("the first server returned no admin credential token; see the admin-credential step's error");
    return token;
}

/** The program's way into the cluster. */
export interface ClusterCredentials {
    /** Admin kubeconfig, server rewritten to the API endpoint. Secret. */
    kubeconfig: pulumi.Output<string>;
    provider: k8s.Provider;
}

/**
 * Phase 4: credentials. The kubeconfig is read once: it only changes if the
 * first server is reinstalled, so the provider (and every Kubernetes
 * resource) stays put. Its user is a cluster-admin ServiceAccount token that
 * does not expire (k3s.yaml's client certificate lasts a year, and k3s
 * renews only the copy on disk); `--replace` on the admin-credential step
 * rotates it, and only the kubeconfig's user changes.
 */
export function clusterCredentials(name: string, parent: pulumi.Resource, plan: ClusterPlan, installed: InstallChain, connections: NodeConnections, contextName: string): ClusterCredentials {
    const primary = installed.nodes[plan.firstServer.name];
    const connection = connections.of(plan.firstServer);
    const rawKubeconfig = new command.remote.Command(
        `${name}-kubeconfig`,
        { connection, create: "sudo -n cat /etc/rancher/k3s/k3s.yaml", logging: "none", addPreviousOutputInEnv: false, triggers: [primary.install.id] },
        { parent, dependsOn: primary.readyGate, additionalSecretOutputs: ["stdout"] },
    );
    const adminToken = new command.remote.Command(
        `${name}-admin-credential`,
        {
            connection,
            create: scriptCommand("admin-credential.sh", { sudo: true, env: { MODE: "create" } }),
            delete: scriptCommand("admin-credential.sh", { sudo: true, env: { MODE: "delete" } }),
            logging: "none",
            addPreviousOutputInEnv: false,
            triggers: [primary.install.id],
        },
        // Delete first: the new Secret must not be the old one re-applied.
        { parent, dependsOn: primary.readyGate, additionalSecretOutputs: ["stdout"], deleteBeforeReplace: true },
    );
    // With a VIP the kubeconfig names it, so it waits until the VIP answers (and the provider with it).
    const vipAnswers = installed.apiVip ? installed.apiVip.stdout : pulumi.output("");
    const kubeconfig = pulumi.secret(pulumi.all([rawKubeconfig.stdout, adminToken.stdout, vipAnswers]).apply(([k, t]) => rewriteKubeconfig(k, plan.serverUrl, contextName, decodeToken(t))));
    // The cluster's identity is its CA: the provider is replaced (and with it
    // every Kubernetes resource) only when the CA changes. Without it, a
    // rotation's delete-before-replace leaves the kubeconfig unknown, which
    // the provider takes as a new cluster and replaces everything.
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, clusterIdentifier: pulumi.interpolate`k3s-ca-sha256:${installed.caHash}` }, { parent });
    return { kubeconfig, provider };
}

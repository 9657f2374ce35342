import * as command from "@pulumi/command";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../../plan/cluster";
import type { NodeConnections } from "../connection";
import { scriptCommand } from "../nodeScripts";
import { k3sDataDir } from "./nodeArtifacts";

/** kube-vip, pinned: the control-plane VIP only (ARP, leader election); Services get theirs from MetalLB. */
export const KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v1.2.3";
/** The DaemonSet's name, as `kube-vip manifest daemonset` names it. */
export const KUBE_VIP_DAEMONSET = "kube-vip-ds";
/** Where k3s's deploy controller finds it: `<data-dir>/server/manifests/`, AddOn `picluster-kube-vip`. */
export const KUBE_VIP_MANIFEST = "picluster-kube-vip.yaml";

/**
 * What `kube-vip manifest daemonset --controlplane --arp --leaderElection
 * --inCluster --taint --address <vip>` (v1.2.3) writes, with its RBAC: a
 * DaemonSet on the servers (control-plane label, every NoSchedule/NoExecute
 * taint tolerated) on the host network, announcing the VIP by ARP from the
 * lease holder, on port 6443 (k3s's). Pure; the text k3s applies.
 */
export function kubeVipManifest(vip: { address: string; interface?: string }, image = KUBE_VIP_IMAGE): string {
    const labels = { "app.kubernetes.io/name": KUBE_VIP_DAEMONSET, "app.kubernetes.io/version": image.split(":").pop() as string };
    const env: Record<string, unknown>[] = [
        { name: "vip_arp", value: "true" },
        { name: "port", value: "6443" },
        { name: "vip_nodename", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        ...(vip.interface ? [{ name: "vip_interface", value: vip.interface }] : []),
        { name: "vip_subnet", value: "32" },
        { name: "cp_enable", value: "true" },
        { name: "cp_namespace", value: "kube-system" },
        { name: "svc_enable", value: "false" },
        { name: "vip_leaderelection", value: "true" },
        { name: "vip_leasename", value: "plndr-cp-lock" },
        { name: "vip_leaseduration", value: "15" },
        { name: "vip_renewdeadline", value: "10" },
        { name: "vip_retryperiod", value: "2" },
        { name: "address", value: vip.address },
        { name: "prometheus_server", value: ":2112" },
    ];
    const docs = [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kube-vip", namespace: "kube-system" } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "system:kube-vip-role" },
            rules: [
                { apiGroups: [""], resources: ["services/status"], verbs: ["update"] },
                { apiGroups: [""], resources: ["services", "endpoints"], verbs: ["list", "get", "watch", "update"] },
                { apiGroups: [""], resources: ["nodes"], verbs: ["list", "get", "watch", "update", "patch"] },
                { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["list", "get", "watch", "update", "create"] },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "get", "watch", "update"] },
                { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "system:kube-vip-binding" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kube-vip-role" },
            subjects: [{ kind: "ServiceAccount", name: "kube-vip", namespace: "kube-system" }],
        },
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: KUBE_VIP_DAEMONSET, namespace: "kube-system", labels },
            spec: {
                selector: { matchLabels: { "app.kubernetes.io/name": KUBE_VIP_DAEMONSET } },
                template: {
                    metadata: { labels },
                    spec: {
                        affinity: {
                            nodeAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: {
                                    nodeSelectorTerms: ["master", "control-plane"].map((r) => ({ matchExpressions: [{ key: `node-role.kubernetes.io/${r}`, operator: "Exists" }] })),
                                },
                            },
                        },
                        containers: [
                            {
                                name: "kube-vip",
                                image,
                                imagePullPolicy: "IfNotPresent",
                                args: ["manager"],
                                env,
                                securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] } },
                            },
                        ],
                        hostNetwork: true,
                        serviceAccountName: "kube-vip",
                        tolerations: [
                            { effect: "NoSchedule", operator: "Exists" },
                            { effect: "NoExecute", operator: "Exists" },
                        ],
                    },
                },
            },
        },
    ];
    return docs.map((d) => yaml.dump(d, { lineWidth: -1, noRefs: true })).join("---\n");
}

/** The VIP's two steps on the first server. */
export interface ApiVipSteps {
    /** Places kube-vip's manifest; the first server's install waits for it. Removes it (and what it made) on delete. */
    manifest: command.remote.Command;
    /** Registers the wait until the VIP answers, after `after` (the first server's install): every joining node and the kubeconfig wait for it. */
    answers(after: pulumi.Resource[]): command.remote.Command;
}

/**
 * Phase 2a, with `cluster.apiVip`: kube-vip's manifest goes into the first
 * server's auto-deploy directory before its k3s starts (k3s applies it once
 * the API is up and the kubelet runs the pod), so the first server boots on
 * its own address and announces the VIP moments later; the join of every
 * other node and the kubeconfig wait for `answers`, then all use the VIP.
 * On an existing cluster the same steps are the migration: the manifest,
 * the first server's restart with the VIP in tls-san (its install's
 * reconfigure), the wait, then each other node's `server:`.
 */
export function apiVipSteps(name: string, parent: pulumi.Resource, plan: ClusterPlan, connections: NodeConnections, preflightPassed: pulumi.Output<string>): ApiVipSteps | undefined {
    const vip = plan.apiVip;
    if (!vip) return undefined;
    const connection = connections.of(plan.firstServer);
    const dataDir = k3sDataDir(plan.firstServer);
    const place = scriptCommand("api-vip.sh", { sudo: true, env: { MODE: "place", DATA_DIR: dataDir } });
    const manifest = new command.remote.Command(
        `${name}-kube-vip`,
        {
            connection,
            // After the cross-node checks, like every install.
            create: preflightPassed.apply(() => place),
            update: place,
            delete: scriptCommand("api-vip.sh", { sudo: true, env: { MODE: "remove", DATA_DIR: dataDir } }),
            stdin: kubeVipManifest(vip),
            addPreviousOutputInEnv: false,
        },
        { parent },
    );
    // Re-run when the address or port changes: its command changes.
    const wait = scriptCommand("api-vip.sh", { sudo: true, env: { MODE: "wait", VIP: vip.address, PORT: String(vip.port), READY_TIMEOUT: String(plan.spec.timeouts.readySeconds) } });
    return {
        manifest,
        answers: (after) => new command.remote.Command(`${name}-api-vip`, { connection, create: wait, addPreviousOutputInEnv: false }, { parent, dependsOn: [manifest, ...after] }),
    };
}

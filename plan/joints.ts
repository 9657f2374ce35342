import type { PiclusterConfig } from "../config/load";
import { NAMESPACE } from "../config/load";
import { endpointHost } from "../config/schema/cluster";
import { LONGHORN_STORAGE_CLASS } from "../config/schema/storage";
import { parseCidr } from "./checks";
import { ollamaAccess, ollamaExternalProblems } from "./services/ollama";

/*
 * Where two parts of the config meet: settings each valid alone that cannot
 * work together. One function per joint, each returning one line per
 * problem that names the key, the value and the fix.
 */

type Config = Pick<PiclusterConfig, "cluster" | "services" | "apps" | "backups" | "existingCluster"> & Partial<Pick<PiclusterConfig, "agentHost" | "workerAgents" | "network">>;
const key = (path: string) => `${NAMESPACE}:${path}`;

/** Every StorageClass the config names, with the key that names it. */
function namedClasses(config: Config): { at: string; name: string }[] {
    const s = config.services;
    const out = [{ at: "services.storageClass", name: s.storageClass }];
    for (const svc of ["ollama", "postgres", "rocketchat", "monitoring"] as const) {
        const cls = s[svc].storage.storageClass;
        if (s[svc].enabled && cls !== undefined) out.push({ at: `services.${svc}.storage.storageClass`, name: cls });
    }
    return out;
}

/** Storage class ↔ storage kind ↔ k3s's disabled components: a class nothing installs leaves every volume Pending. */
export function storageJoints(config: Config): string[] {
    const problems: string[] = [];
    const kind = config.services.storage.kind;
    const localStorageOff = !config.existingCluster && config.cluster.server.disable.includes("local-storage");
    for (const { at, name } of namedClasses(config)) {
        if (name === LONGHORN_STORAGE_CLASS && kind !== "longhorn") {
            problems.push(`${key(at)} = "${name}": only Longhorn installs that class and services.storage.kind is "${kind}"; set services.storage.kind: longhorn, or name local-path`);
        }
        if (name === "local-path" && localStorageOff) {
            problems.push(`${key(at)} = "local-path": cluster.server.disable lists local-storage, which is what provides that class; remove "local-storage" from the list, or use services.storage.kind: longhorn`);
        }
    }
    return problems;
}

/** Backups ↔ storage: what a backup target does and does not cover. */
export function backupWarnings(config: Config): string[] {
    if (!config.backups.s3 || config.services.storage.kind === "longhorn") return [];
    return [`${key("backups.s3")} is set with services.storage.kind "${config.services.storage.kind}": volumes have no volume backups on that storage (backups.longhorn applies to Longhorn only); etcd, PostgreSQL and MongoDB are dumped, other volumes (Ollama's models, Prometheus) are not`];
}

/**
 * Labels k3s or the kubelet own, and those the program sets or selects on:
 * a user label there breaks scheduling (the device plugin's selector, the
 * arch every placement uses) or is overwritten.
 */
const OWNED_LABELS: { test: (k: string) => boolean; why: string }[] = [
    { test: (k) => k === "picluster.io/gpu", why: "the program sets it from cluster.nodes[].gpu and the device plugin selects on it" },
    { test: (k) => k === "picluster.io/cnpg-maintenance" || k.startsWith("picluster.io/drained-for"), why: "the upgrade chain sets and removes it while it drains the node" },
    { test: (k) => k === "kubernetes.io/hostname" || k === "kubernetes.io/os", why: "the kubelet sets it" },
    { test: (k) => k.startsWith("beta.kubernetes.io/") || k.startsWith("node.kubernetes.io/"), why: "the kubelet and k3s own that prefix" },
    { test: (k) => /^node-role\.kubernetes\.io\/(control-plane|master|etcd|worker)$/.test(k), why: "k3s and the program set the node roles" },
];

/** Reserved labels and taints ↔ the user's. */
export function labelJoints(config: Config): string[] {
    const problems: string[] = [];
    config.cluster.nodes.forEach((n, i) => {
        for (const [k, v] of Object.entries(n.labels)) {
            const at = key(`cluster.nodes[${i}].labels`);
            if (k === "kubernetes.io/arch") {
                if (v !== n.arch) problems.push(`${at}."kubernetes.io/arch" = "${v}": contradicts cluster.nodes[${i}].arch "${n.arch}", which the kubelet reports; remove the label (arch already sets it)`);
                continue;
            }
            const owned = OWNED_LABELS.find((o) => o.test(k));
            if (owned) problems.push(`${at}."${k}" = "${v}": ${owned.why}; remove it${k === "picluster.io/gpu" ? " and set cluster.nodes[" + i + "].gpu" : ""}`);
        }
        n.taints.forEach((t, j) => {
            if (t.key.startsWith("node.kubernetes.io/")) {
                problems.push(`${key(`cluster.nodes[${i}].taints[${j}]`)} = "${t.key}": the node lifecycle controller owns node.kubernetes.io/ taints and removes them; use your own key`);
            }
        });
    });
    return problems;
}

const ipv4 = (s: string): number | undefined => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return undefined;
    const o = m.slice(1).map(Number);
    return o.some((x) => x > 255) ? undefined : o.reduce((a, x) => a * 256 + x, 0);
};

/** Addresses no socket can use as a host: unspecified, broadcast, multicast. */
function unusableHost(host: string): string | undefined {
    const ip = ipv4(host);
    if (host === "::" || ip === 0) return "is the unspecified address";
    if (ip === 0xffffffff) return "is the broadcast address";
    if (ip !== undefined && ip >= 0xe0000000) return "is a multicast or reserved address";
    return undefined;
}

/** CIDRs ↔ node addresses, and hosts and ports no socket can use. */
export function networkJoints(config: Config): string[] {
    if (config.existingCluster) return [];
    const problems: string[] = [];
    const { server } = config.cluster;
    const nets = [
        { at: "cluster.server.clusterCidr", cidr: server.clusterCidr, range: parseCidr(server.clusterCidr) },
        { at: "cluster.server.serviceCidr", cidr: server.serviceCidr, range: parseCidr(server.serviceCidr) },
    ];
    config.cluster.nodes.forEach((n, i) => {
        const bad = unusableHost(n.host);
        if (bad) problems.push(`${key(`cluster.nodes[${i}].host`)} = "${n.host}": ${bad}; use the node's own LAN address`);
        const ip = ipv4(n.host);
        for (const net of nets) {
            if (ip !== undefined && net.range && ip >= net.range[0] && ip <= net.range[1]) {
                problems.push(`${key(net.at)} = "${net.cidr}": contains cluster.nodes[${i}].host ${n.host}, so traffic to that node would be routed into the cluster network; pick a range outside the LAN (defaults 10.42.0.0/16, 10.43.0.0/16)`);
            }
        }
    });
    const endpoint = config.cluster.apiEndpoint;
    if (endpoint !== undefined) {
        const port = /:(\d+)$/.exec(endpoint.replace(/^\[.*\]/, (m) => m.replace(/:/g, "")))?.[1];
        if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) problems.push(`${key("cluster.apiEndpoint")} = "${endpoint}": port ${port} is outside 1-65535; k3s listens on 6443`);
        const bad = unusableHost(endpointHost(endpoint));
        if (bad) problems.push(`${key("cluster.apiEndpoint")} = "${endpoint}": ${bad}; use a server's address or a VIP`);
    }
    return problems;
}

/** k3s components the config turns off ↔ what the platform needs from them. */
export function disabledComponentJoints(config: Config): string[] {
    if (config.existingCluster) return [];
    const off = config.cluster.server.disable;
    const at = key("cluster.server.disable");
    const problems: string[] = [];
    if (off.includes("coredns")) {
        problems.push(`${at} = ${JSON.stringify(off)}: without CoreDNS no pod resolves a Service name (every in-cluster address, the NetworkPolicies' DNS allowance); remove "coredns"`);
    }
    // servicelb off under LoadBalancer Services: plan/network.ts (a MetalLB pool serves them).
    if (off.includes("traefik")) {
        // Every host the front door would route (plan/ingress): the domain's UIs, Rocket.Chat's, the apps' on Traefik.
        const hosts = [
            ...(config.network?.domain ? [{ at: "network.domain", host: config.network.domain }] : []),
            ...(config.services.rocketchat.enabled && config.services.rocketchat.host ? [{ at: "services.rocketchat.host", host: config.services.rocketchat.host }] : []),
            ...config.apps.flatMap((a, i) => (a.enabled && a.ingress && a.ingress.className === undefined ? [{ at: `apps[${i}].ingress.host`, host: a.ingress.host ?? `${a.name}.${config.network?.domain ?? "(no domain)"}` }] : [])),
        ];
        for (const h of hosts) {
            problems.push(`${key(h.at)} = "${h.host}": cluster.server.disable lists traefik, k3s's ingress controller, and nothing else serves Ingress; remove "traefik" from the list (or name another controller's ingress.className)`);
        }
    }
    return problems;
}

/**
 * Ollama's consumers ↔ Ollama: an agent host or worker template told to use
 * Ollama needs the in-cluster one enabled or an external one named, else
 * OLLAMA_HOST and its NetworkPolicy would point at a Service that does not exist.
 */
export function ollamaJoints(config: Config): string[] {
    const problems = ollamaExternalProblems(config.services.ollama);
    if (ollamaAccess(config.services.ollama)) return problems;
    const fix = "enable services.ollama, or name an Ollama outside the cluster with services.ollama.external.url";
    if (config.agentHost?.enabled && config.agentHost.ollamaAccess) {
        problems.push(`${key("agentHost.ollamaAccess")} = true: services.ollama is disabled and services.ollama.external is not set, so the agent host would be sent to an Ollama that does not exist; ${fix}, or set agentHost.ollamaAccess: false`);
    }
    if (config.workerAgents?.enabled) {
        config.workerAgents.templates.forEach((t, i) => {
            if (t.ollama) problems.push(`${key(`workerAgents.templates[${i}].ollama`)} = true: services.ollama is disabled and services.ollama.external is not set, so template ${t.name} would be sent to an Ollama that does not exist; ${fix}, or set ollama: false`);
        });
    }
    return problems;
}

/** Every cross-part rule of this file, in one list. */
export function jointProblems(config: Config): string[] {
    return [...storageJoints(config), ...labelJoints(config), ...networkJoints(config), ...disabledComponentJoints(config), ...ollamaJoints(config)];
}

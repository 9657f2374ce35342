import { NAMESPACE, type PiclusterConfig } from "../config/load";
import { endpointHost } from "../config/schema/cluster";
import type { PodSecurityLevel } from "../config/podSecurity";
import type { WorkloadDemand } from "./capacity";
import type { PinnedChart } from "./charts";
import { parseCidr } from "./checks";
import { isHighlyAvailable } from "./topology";

/*
 * Addresses on the LAN: the API server's virtual IP (kube-vip, on the
 * servers) and the pool LoadBalancer Services take theirs from (MetalLB, L2).
 * Both are announced by ARP, so both must lie in the subnet the nodes share
 * (cluster.lanCidr) and collide with nothing: no node's address, not each
 * other, not the cluster's pod and service networks. Node hosts given as
 * names are not resolved here; only IPv4 literals are checked.
 */

type Config = Pick<PiclusterConfig, "cluster" | "network" | "apps" | "existingCluster">;
const key = (path: string) => `${NAMESPACE}:${path}`;

/** `a.b.c.d` → a number, or undefined (octets 0-255 without leading zeros). */
export function parseIpv4(text: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    if (!m) return undefined;
    const octets = m.slice(1, 5);
    if (octets.some((o) => (o.length > 1 && o.startsWith("0")) || Number(o) > 255)) return undefined;
    return octets.reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** `a-b` or `a.b.c.d/n` → [first, last], or undefined when malformed or backwards. */
export function parseAddressRange(text: string): [number, number] | undefined {
    if (text.includes("/")) return parseCidr(text);
    const [from, to] = text.split("-").map(parseIpv4);
    return from !== undefined && to !== undefined && from <= to ? [from, to] : undefined;
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];
const contains = (r: [number, number], ip: number) => ip >= r[0] && ip <= r[1];

/** Every address that something else already uses, with what uses it. */
interface Taken {
    what: string;
    range: [number, number];
}

function takenAddresses(config: Config): Taken[] {
    const { cluster } = config;
    const taken: Taken[] = [];
    cluster.nodes.forEach((n, i) => {
        const ip = parseIpv4(n.host);
        if (ip !== undefined) taken.push({ what: `cluster.nodes[${i}].host (${n.name})`, range: [ip, ip] });
    });
    for (const name of ["clusterCidr", "serviceCidr"] as const) {
        const range = parseCidr(cluster.server[name]);
        if (range) taken.push({ what: `cluster.server.${name} ${cluster.server[name]}`, range });
    }
    return taken;
}

/** The LAN's network and broadcast addresses: no host may take them. */
function reserved(lan: [number, number] | undefined): Taken[] {
    if (!lan || lan[1] - lan[0] < 2) return [];
    return [
        { what: "cluster.lanCidr's network address", range: [lan[0], lan[0]] },
        { what: "cluster.lanCidr's broadcast address", range: [lan[1], lan[1]] },
    ];
}

/** The subnet check for one address or range: inside cluster.lanCidr and clear of everything taken. */
function placeProblems(at: string, shown: string, range: [number, number], lan: [number, number] | undefined, taken: Taken[], cidr: string | undefined): string[] {
    const problems: string[] = [];
    if (lan && !(range[0] >= lan[0] && range[1] <= lan[1])) {
        problems.push(`${key(at)} = "${shown}": is outside cluster.lanCidr ${cidr}, the nodes' subnet; ARP announces an address only to hosts on that subnet, so pick one inside it`);
    }
    for (const t of taken) {
        if (overlaps(range, t.range)) problems.push(`${key(at)} = "${shown}": overlaps ${t.what}; two owners of one address break both, so pick addresses outside it`);
    }
    return problems;
}

/** cluster.lanCidr itself: a network, not the cluster's own, holding every node given by address. */
function lanCidrProblems(config: Config, lan: [number, number] | undefined): string[] {
    const { cluster } = config;
    const cidr = cluster.lanCidr;
    if (cidr === undefined) return [];
    if (!lan) return [`${key("cluster.lanCidr")} = "${cidr}": is not a network address with its prefix (octets 0-255 without leading zeros, host bits zero), e.g. 192.168.1.0/24`];
    const problems: string[] = [];
    for (const name of ["clusterCidr", "serviceCidr"] as const) {
        const range = parseCidr(cluster.server[name]);
        if (range && overlaps(lan, range)) problems.push(`${key("cluster.lanCidr")} = "${cidr}": overlaps cluster.server.${name} ${cluster.server[name]}; the LAN and the cluster's networks must be disjoint`);
    }
    cluster.nodes.forEach((n, i) => {
        const ip = parseIpv4(n.host);
        if (ip !== undefined && !contains(lan, ip)) {
            problems.push(`${key(`cluster.nodes[${i}].host`)} = "${n.host}": is outside cluster.lanCidr ${cidr}; kube-vip and MetalLB reach only nodes on that subnet, so correct lanCidr or the host`);
        }
    });
    return problems;
}

/** cluster.apiVip: in the servers' subnet, no node's address, clear of the pool; apiEndpoint must not bypass it. */
function apiVipProblems(config: Config, lan: [number, number] | undefined, taken: Taken[]): string[] {
    const { cluster } = config;
    const vip = cluster.apiVip;
    if (vip === undefined) return cluster.apiVipInterface !== undefined ? [`${key("cluster.apiVipInterface")} = "${cluster.apiVipInterface}": is set without cluster.apiVip; set apiVip or remove apiVipInterface`] : [];
    if (config.existingCluster) return [`${key("cluster.apiVip")} = "${vip}": is set together with cluster.kubeconfig; picluster announces a VIP only on servers it bootstraps, so remove apiVip`];
    const ip = parseIpv4(vip);
    if (ip === undefined) return [`${key("cluster.apiVip")} = "${vip}": is not an IPv4 address (octets 0-255 without leading zeros), e.g. 192.168.1.5`];
    const problems: string[] = [];
    if (cluster.lanCidr === undefined) problems.push(`${key("cluster.apiVip")} = "${vip}": needs cluster.lanCidr, the servers' subnet (e.g. 192.168.1.0/24), to be checked against; set it`);
    problems.push(...placeProblems("cluster.apiVip", vip, [ip, ip], lan, [...taken, ...reserved(lan)], cluster.lanCidr));
    const endpoint = cluster.apiEndpoint;
    if (endpoint !== undefined) {
        const host = endpointHost(endpoint);
        const server = cluster.nodes.find((n) => n.role === "server" && (n.host === host || n.name === host));
        if (server) {
            problems.push(`${key("cluster.apiEndpoint")} = "${endpoint}": names server ${server.name} while cluster.apiVip is set, so clients and joins would not use the VIP; remove apiEndpoint (the VIP becomes it) or name the VIP`);
        }
    }
    return problems;
}

/** network.loadBalancer.addresses: each range in the nodes' subnet, clear of nodes, CIDRs, the VIP and each other. */
function poolProblems(config: Config, lan: [number, number] | undefined, taken: Taken[]): string[] {
    const pool = config.network.loadBalancer;
    if (!pool) return [];
    const { cluster } = config;
    const problems: string[] = [];
    if (cluster.lanCidr === undefined) problems.push(`${key("network.loadBalancer")} is set without cluster.lanCidr, the nodes' subnet (e.g. 192.168.1.0/24) the pool must lie in; set it`);
    if (!config.existingCluster && !cluster.server.disable.includes("servicelb")) {
        problems.push(`${key("network.loadBalancer")} is set while k3s's ServiceLB is on: both would answer for every LoadBalancer Service; add "servicelb" to cluster.server.disable`);
    }
    const vip = cluster.apiVip !== undefined ? parseIpv4(cluster.apiVip) : undefined;
    const others: Taken[] = [...taken, ...reserved(lan), ...(vip !== undefined ? [{ what: `cluster.apiVip ${cluster.apiVip}`, range: [vip, vip] as [number, number] }] : [])];
    pool.addresses.forEach((text, i) => {
        const at = `network.loadBalancer.addresses[${i}]`;
        const range = parseAddressRange(text);
        if (!range) {
            problems.push(`${key(at)} = "${text}": is not a range (first-last, first ≤ last) or a network CIDR (host bits zero) of IPv4 addresses, e.g. 192.168.1.240-192.168.1.250`);
            return;
        }
        problems.push(...placeProblems(at, text, range, lan, others, cluster.lanCidr));
        others.push({ what: `network.loadBalancer.addresses[${i}] ${text}`, range });
    });
    return problems;
}

/** network.dns: a domain to answer for, and its fixed address from the pool. */
function lanDnsProblems(config: Config): string[] {
    const dns = config.network.dns;
    if (!dns) return [];
    const problems: string[] = [];
    if (config.network.domain === undefined) problems.push(`${key("network.dns")} is set without network.domain, the zone it answers for; set network.domain (e.g. lab.example.org) or remove network.dns`);
    const pool = config.network.loadBalancer;
    if (!pool) return [...problems, `${key("network.dns")} needs network.loadBalancer: its address comes from that pool; declare network.loadBalancer.addresses`];
    const ip = parseIpv4(dns.address);
    if (ip === undefined) return [...problems, `${key("network.dns.address")} = "${dns.address}": is not an IPv4 address (octets 0-255 without leading zeros), e.g. 192.168.1.240`];
    if (!pool.addresses.map(parseAddressRange).some((r) => r !== undefined && contains(r, ip))) {
        problems.push(`${key("network.dns.address")} = "${dns.address}": is not in network.loadBalancer.addresses [${pool.addresses.join(", ")}]; MetalLB gives a Service only an address from its pool, so pick one of them`);
    }
    return problems;
}

/** LoadBalancer Services need something to hand out addresses: k3s's ServiceLB, or the MetalLB pool. */
function loadBalancerServiceProblems(config: Config): string[] {
    if (config.existingCluster || !config.cluster.server.disable.includes("servicelb") || config.network.loadBalancer) return [];
    return config.apps.flatMap((a, i) =>
        a.enabled && a.service.type === "LoadBalancer"
            ? [`${key(`apps[${i}].service.type`)} = "LoadBalancer": cluster.server.disable lists servicelb and network.loadBalancer declares no pool, so nothing gives the Service an address and it stays pending; declare network.loadBalancer.addresses, remove "servicelb", or use type ClusterIP`]
            : [],
    );
}

/** Every refusal about addresses on the LAN, one line each. */
export function lanProblems(config: Config): string[] {
    const lan = config.cluster.lanCidr !== undefined ? parseCidr(config.cluster.lanCidr) : undefined;
    const taken = config.existingCluster ? [] : takenAddresses(config);
    return [...lanCidrProblems(config, lan), ...apiVipProblems(config, lan, taken), ...poolProblems(config, lan, taken), ...lanDnsProblems(config), ...loadBalancerServiceProblems(config)];
}

/** Allowed but pointless: a VIP on one server moves nowhere when it fails. */
export function lanWarnings(config: Config): string[] {
    const { cluster } = config;
    if (cluster.apiVip === undefined || config.existingCluster || isHighlyAvailable(cluster.nodes)) return [];
    return [`${key("cluster.apiVip")} = "${cluster.apiVip}" on a single server: the address stays stable if the server's own changes, but there is no second server to move it to`];
}

/** Where MetalLB runs; its speaker needs host networking and NET_RAW, so the namespace is privileged. */
export const METALLB_NAMESPACE = "metallb-system";
/** The MetalLB release name; its controller's webhook Service is named after it. */
export const METALLB_RELEASE = "metallb";
/** The IPAddressPool and L2Advertisement the program creates. */
export const LAN_POOL_NAME = "picluster-lan";
/** Where LAN DNS (k8s_gateway) runs, restricted; also its release's name. */
export const LAN_DNS_NAMESPACE = "lan-dns";

/** What the LAN pieces create, decided before any resource. */
export interface LanPlan {
    /** The pool and its chart, when network.loadBalancer is set. */
    loadBalancer?: { addresses: string[]; chart: PinnedChart; namespace: string };
    /** LAN DNS, when network.dns is set: the domain it answers for, on its pool address. */
    dns?: { address: string; domain: string; chart: PinnedChart; namespace: string };
    namespaces: { name: string; podSecurity: PodSecurityLevel }[];
    charts: PinnedChart[];
    demands: WorkloadDemand[];
    /** For the object inventory (plan/inventory.ts): what no other part may create. */
    objects: { kind: "Namespace" | "HelmRelease"; namespace?: string; name: string; owner: string }[];
}

/** Plans the LAN pieces of a config the checks above accepted. */
export function planLan(config: Config): LanPlan {
    const { loadBalancer: pool, dns, domain } = config.network;
    if (!pool) return { namespaces: [], charts: [], demands: [], objects: [] };
    const chart: PinnedChart = { chart: "metallb", version: pool.version, repo: pool.repo, at: "network.loadBalancer.version" };
    const owner = key("network.loadBalancer");
    const plan: LanPlan = {
        loadBalancer: { addresses: [...pool.addresses], chart, namespace: METALLB_NAMESPACE },
        namespaces: [{ name: METALLB_NAMESPACE, podSecurity: "privileged" }],
        charts: [chart],
        demands: [
            { name: "network/metallb-controller", cpu: "50m", memory: "64Mi", replicas: 1 },
            {
                name: "network/metallb-speaker",
                cpu: "50m",
                memory: "64Mi",
                replicas: 1,
                perNode: true,
                // The chart's tolerateMaster: servers tainted NoSchedule still get a speaker.
                tolerations: ["master", "control-plane"].map((r) => ({ key: `node-role.kubernetes.io/${r}`, operator: "Exists" as const, effect: "NoSchedule" })),
            },
        ],
        objects: [
            { kind: "Namespace", name: METALLB_NAMESPACE, owner },
            { kind: "HelmRelease", namespace: METALLB_NAMESPACE, name: METALLB_RELEASE, owner },
        ],
    };
    if (dns && domain !== undefined) {
        const dnsChart: PinnedChart = { chart: "k8s-gateway", version: dns.version, repo: dns.repo, at: "network.dns.version" };
        plan.dns = { address: dns.address, domain, chart: dnsChart, namespace: LAN_DNS_NAMESPACE };
        plan.namespaces.push({ name: LAN_DNS_NAMESPACE, podSecurity: "restricted" });
        plan.charts.push(dnsChart);
        plan.demands.push({ name: "network/lan-dns", cpu: "50m", memory: "64Mi", replicas: 1 });
        plan.objects.push({ kind: "Namespace", name: LAN_DNS_NAMESPACE, owner: key("network.dns") }, { kind: "HelmRelease", namespace: LAN_DNS_NAMESPACE, name: LAN_DNS_NAMESPACE, owner: key("network.dns") });
    }
    return plan;
}

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretsOf } from "../../../config/load";
import { objectSource } from "../../../config/source";
import { buildPlan, type StackPlan } from "../../../plan/plan";
import { formatIpv4, parseAddressRange, parseIpv4 } from "../../../plan/network";
import { TEST_SSH_KEY } from "../../helpers/stacks";

/*
 * Addresses on the LAN, refused in the plan: the MetalLB pool and the API's
 * virtual IP against the nodes' subnet, the nodes' addresses, the cluster's
 * CIDRs and each other.
 */

const node = (name: string, host: string, role: "server" | "agent") => ({ name, host, user: "pi", role, arch: role === "server" ? "amd64" : "arm64" });

/** Three servers and an agent on 192.168.1.0/24, a VIP and a pool: a config every check accepts. */
function ha(cluster: Record<string, unknown> = {}, network: Record<string, unknown> = {}, apps: unknown[] = []): Record<string, unknown> {
    return {
        sshPrivateKey: TEST_SSH_KEY,
        cluster: {
            k3sVersion: "v1.33.5+k3s1",
            lanCidr: "192.168.1.0/24",
            apiVip: "192.168.1.5",
            server: { disable: ["servicelb"] },
            nodes: [node("cp-1", "192.168.1.11", "server"), node("cp-2", "192.168.1.12", "server"), node("cp-3", "192.168.1.13", "server"), node("pi-1", "192.168.1.21", "agent")],
            ...cluster,
        },
        services: { ollama: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: false }, postgres: { enabled: false } },
        network: { loadBalancer: { addresses: ["192.168.1.240-192.168.1.250"] }, ...network },
        apps,
    };
}

function plan(values: Record<string, unknown>): StackPlan {
    const source = objectSource("t", values, ["sshPrivateKey"]);
    return buildPlan(loadConfig(source), secretsOf(source));
}

function problems(values: Record<string, unknown>): string[] {
    try {
        plan(values);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

describe("addresses on the LAN: parsing", () => {
    it("reads IPv4 addresses and ranges, refusing leading zeros, octets over 255 and backwards ranges", () => {
        expect(parseIpv4("192.168.1.5")).toBe(0xc0a80105);
        expect(formatIpv4(0xc0a80105)).toBe("192.168.1.5");
        expect(parseIpv4("192.168.01.5")).toBeUndefined();
        expect(parseIpv4("192.168.1.256")).toBeUndefined();
        expect(parseAddressRange("192.168.1.240-192.168.1.250")).toEqual([0xc0a801f0, 0xc0a801fa]);
        expect(parseAddressRange("192.168.1.240/28")).toEqual([0xc0a801f0, 0xc0a801ff]);
        expect(parseAddressRange("192.168.1.250-192.168.1.240")).toBeUndefined();
        expect(parseAddressRange("192.168.1.241/28")).toBeUndefined();
    });
});

describe("addresses on the LAN: what the plan accepts", () => {
    it("plans the VIP as the API endpoint, the joins' server and its port, and the pool with MetalLB's pinned chart", () => {
        const p = plan(ha());
        expect(p.cluster?.apiEndpoint).toBe("192.168.1.5");
        expect(p.cluster?.serverUrl).toBe("https://192.168.1.5:6443");
        expect(p.cluster?.apiVip).toEqual({ address: "192.168.1.5", interface: undefined, port: 6443 });
        expect(p.platform.lan?.loadBalancer).toMatchObject({ addresses: ["192.168.1.240-192.168.1.250"], namespace: "metallb-system", chart: { chart: "metallb", version: "0.16.1" } });
        expect(p.platform.charts.map((c) => c.chart)).toContain("metallb");
        expect(p.warnings.filter((w) => w.includes("apiVip"))).toEqual([]);
    });

    it("takes apiEndpoint naming the VIP with a port (a forwarded API), and the port for the VIP's wait", () => {
        const p = plan(ha({ apiEndpoint: "192.168.1.5:16443" }));
        expect(p.cluster?.serverUrl).toBe("https://192.168.1.5:16443");
        expect(p.cluster?.apiVip?.port).toBe(16443);
    });

    it("warns, not refuses, a VIP on a single server", () => {
        const p = plan(ha({ nodes: [node("cp-1", "192.168.1.11", "server")] }));
        expect(p.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^picluster:cluster\.apiVip = "192\.168\.1\.5" on a single server/)]));
    });

    it("checks only IPv4 literals: nodes given by name pass", () => {
        expect(problems(ha({ nodes: [node("cp-1", "cp-1.lan", "server"), node("cp-2", "cp-2.lan", "server"), node("cp-3", "cp-3.lan", "server")] }))).toEqual([]);
    });
});

describe("addresses on the LAN: refusals, each naming the key, the value and the fix", () => {
    it("refuses a pool outside the nodes' subnet", () => {
        expect(problems(ha({}, { loadBalancer: { addresses: ["192.168.2.240-192.168.2.250"] } }))).toEqual([
            'picluster:network.loadBalancer.addresses[0] = "192.168.2.240-192.168.2.250": is outside cluster.lanCidr 192.168.1.0/24, the nodes\' subnet; ARP announces an address only to hosts on that subnet, so pick one inside it',
        ]);
    });

    it("refuses a pool that holds a node's address, naming the node", () => {
        expect(problems(ha({}, { loadBalancer: { addresses: ["192.168.1.16/28"] } }))).toEqual([
            'picluster:network.loadBalancer.addresses[0] = "192.168.1.16/28": overlaps cluster.nodes[3].host (pi-1); two owners of one address break both, so pick addresses outside it',
        ]);
    });

    it("refuses a pool that overlaps the cluster's pod or service network", () => {
        const found = problems(ha({ lanCidr: "10.0.0.0/8", apiVip: "10.0.0.5", nodes: [node("cp-1", "10.0.0.11", "server")] }, { loadBalancer: { addresses: ["10.43.0.10-10.43.0.20"] } }));
        expect(found).toContain('picluster:network.loadBalancer.addresses[0] = "10.43.0.10-10.43.0.20": overlaps cluster.server.serviceCidr 10.43.0.0/16; two owners of one address break both, so pick addresses outside it');
        expect(found).toContain('picluster:cluster.lanCidr = "10.0.0.0/8": overlaps cluster.server.clusterCidr 10.42.0.0/16; the LAN and the cluster\'s networks must be disjoint');
    });

    it("refuses a pool that holds the VIP, ranges that overlap each other, and the LAN's broadcast address", () => {
        const found = problems(ha({}, { loadBalancer: { addresses: ["192.168.1.1-192.168.1.9", "192.168.1.8-192.168.1.10", "192.168.1.250-192.168.1.255"] } }));
        expect(found).toContain('picluster:network.loadBalancer.addresses[0] = "192.168.1.1-192.168.1.9": overlaps cluster.apiVip 192.168.1.5; two owners of one address break both, so pick addresses outside it');
        expect(found).toContain(
            'picluster:network.loadBalancer.addresses[1] = "192.168.1.8-192.168.1.10": overlaps network.loadBalancer.addresses[0] 192.168.1.1-192.168.1.9; two owners of one address break both, so pick addresses outside it',
        );
        expect(found).toContain('picluster:network.loadBalancer.addresses[2] = "192.168.1.250-192.168.1.255": overlaps cluster.lanCidr\'s broadcast address; two owners of one address break both, so pick addresses outside it');
    });

    it("refuses a pool while k3s's ServiceLB is on, and a pool without lanCidr", () => {
        expect(problems(ha({ server: { disable: [] } }))).toEqual([
            'picluster:network.loadBalancer is set while k3s\'s ServiceLB is on: both would answer for every LoadBalancer Service; add "servicelb" to cluster.server.disable',
        ]);
        expect(problems(ha({ lanCidr: undefined, apiVip: undefined }))).toEqual([
            "picluster:network.loadBalancer is set without cluster.lanCidr, the nodes' subnet (e.g. 192.168.1.0/24) the pool must lie in; set it",
        ]);
    });

    it("refuses a VIP that is a node's address", () => {
        expect(problems(ha({ apiVip: "192.168.1.12" }))).toEqual([
            'picluster:cluster.apiVip = "192.168.1.12": overlaps cluster.nodes[1].host (cp-2); two owners of one address break both, so pick addresses outside it',
        ]);
    });

    it("refuses a VIP outside the servers' subnet, and one without lanCidr to check it against", () => {
        expect(problems(ha({ apiVip: "192.168.7.5" }))).toEqual([
            'picluster:cluster.apiVip = "192.168.7.5": is outside cluster.lanCidr 192.168.1.0/24, the nodes\' subnet; ARP announces an address only to hosts on that subnet, so pick one inside it',
        ]);
        expect(problems(ha({ lanCidr: undefined }, { loadBalancer: undefined }))).toEqual([
            'picluster:cluster.apiVip = "192.168.1.5": needs cluster.lanCidr, the servers\' subnet (e.g. 192.168.1.0/24), to be checked against; set it',
        ]);
    });

    it("refuses a VIP that is no IPv4 address, or the LAN's network address", () => {
        expect(problems(ha({ apiVip: "192.168.1.300" }))).toEqual(['picluster:cluster.apiVip = "192.168.1.300": is not an IPv4 address (octets 0-255 without leading zeros), e.g. 192.168.1.5']);
        expect(problems(ha({ apiVip: "192.168.1.0" }))).toEqual([
            'picluster:cluster.apiVip = "192.168.1.0": overlaps cluster.lanCidr\'s network address; two owners of one address break both, so pick addresses outside it',
        ]);
    });

    it("refuses apiEndpoint naming a server while the VIP is set: clients and joins would bypass it", () => {
        expect(problems(ha({ apiEndpoint: "192.168.1.11" }))).toEqual([
            'picluster:cluster.apiEndpoint = "192.168.1.11": names server cp-1 while cluster.apiVip is set, so clients and joins would not use the VIP; remove apiEndpoint (the VIP becomes it) or name the VIP',
        ]);
    });

    it("refuses a node outside lanCidr, and apiVipInterface without a VIP", () => {
        expect(problems(ha({ nodes: [...(ha().cluster as { nodes: unknown[] }).nodes, node("pi-9", "10.9.0.9", "agent")] }))).toEqual([
            'picluster:cluster.nodes[4].host = "10.9.0.9": is outside cluster.lanCidr 192.168.1.0/24; kube-vip and MetalLB reach only nodes on that subnet, so correct lanCidr or the host',
        ]);
        expect(problems(ha({ apiVip: undefined, apiVipInterface: "eth0" }))).toEqual(['picluster:cluster.apiVipInterface = "eth0": is set without cluster.apiVip; set apiVip or remove apiVipInterface']);
    });

    it("refuses a VIP on an existing cluster: picluster announces it only on servers it bootstraps", () => {
        const values = { cluster: { k3sVersion: "v1.33.5+k3s1", apiVip: "192.168.1.5", lanCidr: "192.168.1.0/24", kubeconfig: "apiVersion: v1" }, services: ha().services };
        const source = objectSource("t", values, ["cluster"]);
        expect(() => buildPlan(loadConfig(source), secretsOf(source))).toThrow(/picluster:cluster\.apiVip = "192\.168\.1\.5": is set together with cluster\.kubeconfig/);
    });

    it("refuses a LoadBalancer app with ServiceLB off and no pool, and takes it once the pool is declared", () => {
        const app = { name: "mcp", image: "registry.lan/mcp:1.0.0", port: 8080, service: { type: "LoadBalancer" } };
        expect(problems(ha({ apiVip: undefined }, { loadBalancer: undefined }, [app]))).toEqual([
            'picluster:apps[0].service.type = "LoadBalancer": cluster.server.disable lists servicelb and network.loadBalancer declares no pool, so nothing gives the Service an address and it stays pending; declare network.loadBalancer.addresses, remove "servicelb", or use type ClusterIP',
        ]);
        expect(problems(ha({}, {}, [app]))).toEqual([]);
    });

    it("refuses LAN DNS without the domain it answers for, without a pool, or on an address outside the pool", () => {
        expect(problems(ha({}, { dns: { address: "192.168.1.240" } }))).toEqual([
            "picluster:network.dns is set without network.domain, the zone it answers for; set network.domain (e.g. lab.example.org) or remove network.dns",
        ]);
        expect(problems(ha({}, { domain: "lab.example.org", dns: { address: "192.168.1.30" } }))).toEqual([
            'picluster:network.dns.address = "192.168.1.30": is not in network.loadBalancer.addresses [192.168.1.240-192.168.1.250]; MetalLB gives a Service only an address from its pool, so pick one of them',
        ]);
        expect(problems(ha({ server: { disable: [] } }, { loadBalancer: undefined, domain: "lab.example.org", dns: { address: "192.168.1.240" } }))).toEqual([
            "picluster:network.dns needs network.loadBalancer: its address comes from that pool; declare network.loadBalancer.addresses",
        ]);
        const p = plan(ha({}, { domain: "lab.example.org", dns: { address: "192.168.1.240" } }));
        expect(p.platform.lan?.dns).toMatchObject({ address: "192.168.1.240", domain: "lab.example.org", namespace: "lan-dns", chart: { chart: "k8s-gateway", version: "3.7.2" } });
    });

    it("refuses a catalog entry that takes MetalLB's namespace, naming both keys", () => {
        const values = ha();
        (values.services as Record<string, unknown>).catalog = [{ name: "other", chart: "other", repo: "https://charts.example.org", version: "1.0.0", namespace: "metallb-system" }];
        expect(problems(values)).toEqual(expect.arrayContaining([expect.stringMatching(/^picluster:services\.catalog\[0\] creates Namespace metallb-system, which picluster:network\.loadBalancer already creates/)]));
    });
});

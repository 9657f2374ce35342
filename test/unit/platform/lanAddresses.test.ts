import { beforeAll, describe, expect, it } from "vitest";
import { lanDnsValues } from "../../../components/network/lanDns";
import { metallbValues } from "../../../components/network/loadBalancerPool";
import { Picluster } from "../../../components/picluster";
import { objectSource } from "../../../config/source";
import { planStack } from "../../../plan/plan";
import { dependencyNames, recorder, RecordedResource, RegisteredResource, registeredResources, resetRegistry, unwrapSecrets, valueOf } from "../../helpers/mocks";
import { TEST_SSH_KEY } from "../../helpers/stacks";

/*
 * Addresses on the LAN under mocks: MetalLB and its pool before anything
 * with a LoadBalancer Service, and k8s_gateway on a fixed pool address.
 */

const node = (name: string, host: string, role: "server" | "agent") => ({ name, host, user: "pi", role, arch: role === "server" ? "amd64" : "arm64" });
const APP = { name: "mcp", image: "registry.lan/mcp:1.0.0", port: 8080, service: { type: "LoadBalancer" } };

function source(network: Record<string, unknown>) {
    return objectSource(
        "lan",
        {
            sshPrivateKey: TEST_SSH_KEY,
            cluster: {
                k3sVersion: "v1.33.5+k3s1",
                lanCidr: "192.168.1.0/24",
                server: { disable: ["servicelb"] },
                nodes: [node("cp-1", "192.168.1.10", "server"), node("pi-1", "192.168.1.21", "agent")],
            },
            services: { ollama: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: false }, postgres: { enabled: false } },
            apps: [APP],
            network,
        },
        ["sshPrivateKey"],
    );
}

describe("network.loadBalancer and network.dns on a cluster", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    const reg = (name: string) => {
        const r = registered.find((x) => x.name === name && !x.type.startsWith("picluster:"));
        if (!r) throw new Error(`no resource ${name}; have ${registered.map((x) => x.name).join(", ")}`);
        return r;
    };
    const recorded = (name: string) => rec.resources.find((r) => r.name === name && !r.type.startsWith("picluster:")) as RecordedResource;

    beforeAll(async () => {
        resetRegistry();
        const p = new Picluster(
            "picluster",
            planStack(source({ loadBalancer: { addresses: ["192.168.1.240-192.168.1.250"] }, domain: "lab.example.org", dns: { address: "192.168.1.240" } })),
            { transformations: [rec.transform] },
        );
        await valueOf(p.kubeconfig);
        registered = await registeredResources();
    });

    it("installs MetalLB's pinned chart in its privileged namespace, L2 only (no FRR, no frr-k8s)", () => {
        const release = reg("platform-lan-metallb");
        expect(release.inputs).toMatchObject({ chart: "metallb", version: "0.16.1", namespace: "metallb-system", repositoryOpts: { repo: "https://metallb.github.io/metallb" } });
        expect(release.inputs.values).toMatchObject({ frrk8s: { enabled: false }, speaker: { frr: { enabled: false } } });
        expect((reg("platform-lan-ns").inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    });

    it("declares the pool and its L2 announcement once MetalLB (and its webhook) is ready", async () => {
        expect(reg("platform-lan-pool").inputs).toMatchObject({ apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: "picluster-lan", namespace: "metallb-system" }, spec: { addresses: ["192.168.1.240-192.168.1.250"] } });
        expect(reg("platform-lan-l2").inputs).toMatchObject({ kind: "L2Advertisement", spec: { ipAddressPools: ["picluster-lan"] } });
        // After MetalLB's readiness: its controller serves the webhook that admits them.
        expect(await dependencyNames(recorded("platform-lan-pool").opts)).toEqual(["platform-lan-metallb-ready"]);
        expect(await dependencyNames(recorded("platform-lan-l2").opts)).toEqual(["platform-lan-metallb-ready"]);
    });

    it("creates the app's LoadBalancer Service only after the pool exists", async () => {
        const service = rec.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.name.includes("mcp")) as RecordedResource;
        expect((service.props.spec as { type: string }).type).toBe("LoadBalancer");
        expect(await dependencyNames(service.opts)).toEqual(expect.arrayContaining(["platform-lan-pool", "platform-lan-l2"]));
    });

    it("serves DNS for network.domain from k8s_gateway's pinned chart on the fixed pool address, after the pool", async () => {
        const release = reg("platform-lan-dns-k8s-gateway");
        expect(release.inputs).toMatchObject({ chart: "k8s-gateway", version: "3.7.2", namespace: "lan-dns", repositoryOpts: { repo: "https://k8s-gateway.github.io/k8s_gateway" } });
        expect(release.inputs.values).toMatchObject({
            domain: "lab.example.org",
            service: { type: "LoadBalancer", port: 53, useTcp: true, annotations: { "metallb.io/loadBalancerIPs": "192.168.1.240" } },
        });
        expect(await dependencyNames(recorded("platform-lan-dns-k8s-gateway").opts)).toEqual(expect.arrayContaining(["platform-lan-pool", "platform-lan-dns-ns"]));
        expect((reg("platform-lan-dns-ns").inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    it("passes the cluster's provider explicitly to every LAN resource", () => {
        const lan = rec.resources.filter((r) => r.name.startsWith("platform-lan") && r.type.startsWith("kubernetes:"));
        expect(lan.length).toBeGreaterThanOrEqual(6);
        for (const r of lan) expect(r.opts.provider, r.name).toBeDefined();
    });

    it("keeps the values pure and restricted: non-root, no capabilities, read-only root, RuntimeDefault", () => {
        expect(unwrapSecrets(lanDnsValues({ address: "192.168.1.240", domain: "lab.example.org" }))).toMatchObject({
            podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
        });
        expect(metallbValues()).toMatchObject({ controller: { resources: { requests: { cpu: "50m" } } } });
    });
});

describe("without network.loadBalancer", () => {
    it("creates no MetalLB, pool or DNS", async () => {
        resetRegistry();
        const values = source({});
        const p = new Picluster("picluster", planStack(objectSource("lan", { ...Object.fromEntries(values.keys().map((k) => [k, values.get(k)])), apps: [], cluster: { ...(values.get("cluster") as object), server: { disable: [] } } }, ["sshPrivateKey"])));
        await valueOf(p.kubeconfig);
        expect((await registeredResources()).map((r) => r.name).filter((n) => n.startsWith("platform-lan"))).toEqual([]);
    });
});

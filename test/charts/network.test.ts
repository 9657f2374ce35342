import * as fs from "fs";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { checkChartWorkloads, checkKeys, checkPodSecurity, checkVersions, podOf, PodSecurityJudge } from "../../scripts/charts/checks";
import { allowedKeys, chartExemptions } from "../../scripts/charts/exemptions";
import { isChartManifest, parseManifests } from "../../scripts/charts/releases";
import { layerStackRoot, renderInChildAsync } from "../../scripts/charts/stacks";
import { prerequisites, ROOT } from "./layer";

/*
 * The network stack of the chart layer (test/charts/stacks/Pulumi.network.yaml):
 * three servers behind the API's virtual IP, MetalLB's pool and LAN DNS.
 * MetalLB and k8s_gateway are rendered with their real charts at their pins
 * from this program's values and checked like every release; kube-vip's
 * manifest (what k3s applies from the first server) is judged too.
 */

type Obj = Record<string, any>;
/** A rendered pod template, as podOf reads it. */
const podSpec = (o: Obj): Obj => (podOf(o as never) as Obj).spec;
let judge: PodSecurityJudge;
let files: Map<string, string>;

const manifests = (release: string) => parseManifests(files.get(`charts/${release}.yaml`) ?? "") as Obj[];
const named = (release: string, kind: string) => manifests(release).filter((o) => o.kind === kind);

beforeAll(async () => {
    judge = prerequisites().judge;
    const root = layerStackRoot(ROOT, "network");
    try {
        files = await renderInChildAsync(root, "network", { manifests: true });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
});

describe("the network stack's rendered charts (MetalLB, k8s_gateway) and kube-vip's manifest", () => {
    it("renders MetalLB as its controller and speaker only (L2: no FRR, no frr-k8s), its images at the chart's version", () => {
        expect([...files.keys()].filter(isChartManifest).sort()).toEqual(["charts/lan-dns.yaml", "charts/metallb.yaml"]);
        expect(named("metallb", "Deployment").map((o) => o.metadata.name)).toEqual(["metallb-controller"]);
        expect(named("metallb", "DaemonSet").map((o) => o.metadata.name)).toEqual(["metallb-speaker"]);
        const images = [...named("metallb", "Deployment"), ...named("metallb", "DaemonSet")].flatMap((o) => podSpec(o).containers as Obj[]).map((c) => c.image);
        expect(images.sort()).toEqual(["quay.io/metallb/controller:v0.16.1", "quay.io/metallb/speaker:v0.16.1"]);
        expect(manifests("metallb").some((o) => /frr/i.test(o.metadata.name))).toBe(false);
    });

    it("gives MetalLB's pool CRDs from the chart itself (IPAddressPool, L2Advertisement), so the program's pool has its kinds", () => {
        const crds = named("metallb", "CustomResourceDefinition").map((o) => o.spec.names.kind);
        expect(crds).toEqual(expect.arrayContaining(["IPAddressPool", "L2Advertisement"]));
        const pool = yaml.load(files.get("k8s/metallb-system/ipaddresspool-picluster-lan.yaml") as string) as Obj;
        expect(pool.spec.addresses).toEqual(["192.168.1.240-192.168.1.250"]);
    });

    it("serves DNS for the domain on the fixed pool address, UDP and TCP 53, the image the chart pins", () => {
        const [svc] = named("lan-dns", "Service");
        expect(svc.spec.type).toBe("LoadBalancer");
        expect(svc.metadata.annotations["metallb.io/loadBalancerIPs"]).toBe("192.168.1.240");
        expect(svc.spec.ports.map((p: Obj) => `${p.protocol}/${p.port}`).sort()).toEqual(["TCP/53", "UDP/53"]);
        const corefile = named("lan-dns", "ConfigMap")[0].data.Corefile as string;
        expect(corefile).toMatch(/k8s_gateway lab\.example\.org/);
        const [deploy] = named("lan-dns", "Deployment");
        expect(podSpec(deploy).containers[0].image).toMatch(/^ghcr\.io\/k8s-gateway\/k8s_gateway:\d+\.\d+\.\d+$/);
    });

    it("pin only chart versions their repositories publish", () => {
        expect(checkVersions(files)).toEqual([]);
    });

    it("pass the Pod Security level each namespace enforces (metallb-system privileged for the speaker's host network and NET_RAW, lan-dns restricted)", () => {
        const ns = (name: string) => (yaml.load(files.get(`k8s/_cluster/namespace-${name}.yaml`) as string) as Obj).metadata.labels["pod-security.kubernetes.io/enforce"];
        expect([ns("metallb-system"), ns("lan-dns")]).toEqual(["privileged", "restricted"]);
        expect(checkPodSecurity(files, judge)).toEqual([]);
    });

    it("pass the policy pack's workload rules, save the listed exemptions", () => {
        expect(checkChartWorkloads(files, chartExemptions).problems).toEqual([]);
    });

    it("set only values keys the chart versions declare or read", () => {
        expect(checkKeys(files, allowedKeys)).toEqual([]);
    });

    it("puts kube-vip's manifest on the first server only, in kube-system: privileged (host network, NET_ADMIN), refused at baseline", () => {
        const placed = [...files.keys()].filter((k) => k.endsWith("cluster-kube-vip.stdin"));
        expect(placed).toEqual(["nodes/cp-1/cluster-kube-vip.stdin"]);
        const ds = (yaml.loadAll(files.get(placed[0]) as string) as Obj[]).find((o) => o.kind === "DaemonSet") as Obj;
        expect(ds.metadata.namespace).toBe("kube-system");
        const pod = podOf(ds as never) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
        const [privileged, baseline] = judge([
            { id: "privileged", level: "privileged", version: "latest", ...pod },
            { id: "baseline", level: "baseline", version: "latest", ...pod },
        ]);
        expect(privileged.allowed).toBe(true);
        expect(baseline.allowed).toBe(false);
        expect((baseline.reasons ?? []).join(" ")).toMatch(/host namespaces|hostNetwork/);
    });

    it("names the VIP in every joining node's server and every server's tls-san", () => {
        const config = (n: string) => yaml.load(files.get(`nodes/${n}/k3s-config.yaml`) as string) as Obj;
        for (const n of ["cp-2", "cp-3", "pi-1"]) expect(config(n).server).toBe("https://192.168.1.5:6443");
        for (const n of ["cp-1", "cp-2", "cp-3"]) expect(config(n)["tls-san"]).toContain("192.168.1.5");
    });
});

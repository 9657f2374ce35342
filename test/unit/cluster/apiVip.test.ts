import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { KUBE_VIP_IMAGE, kubeVipManifest } from "../../../components/cluster/install/apiVip";
import { Picluster } from "../../../components/picluster";
import { objectSource } from "../../../config/source";
import { planStack } from "../../../plan/plan";
import { dependencyNames, recorder, RecordedResource, RegisteredResource, registeredResources, resetRegistry, unwrapSecrets, valueOf } from "../../helpers/mocks";
import { TEST_SSH_KEY } from "../../helpers/stacks";

/*
 * The API's virtual IP on three servers and an agent: kube-vip's manifest on
 * the first server before its k3s starts, a wait until the VIP answers, and
 * every join and the kubeconfig through the VIP.
 */

type Obj = Record<string, any>;
const VIP = "192.168.1.5";
const node = (name: string, host: string, role: "server" | "agent") => ({ name, host, user: "pi", role, arch: "amd64" });

function haSource(cluster: Record<string, unknown> = {}) {
    return objectSource(
        "vip",
        {
            sshPrivateKey: TEST_SSH_KEY,
            cluster: {
                k3sVersion: "v1.33.5+k3s1",
                lanCidr: "192.168.1.0/24",
                apiVip: VIP,
                nodes: [node("cp-1", "192.168.1.11", "server"), node("cp-2", "192.168.1.12", "server"), node("cp-3", "192.168.1.13", "server"), node("pi-1", "192.168.1.21", "agent")],
                ...cluster,
            },
            services: { ollama: { enabled: false }, rocketchat: { enabled: false }, monitoring: { enabled: false }, postgres: { enabled: false } },
        },
        ["sshPrivateKey"],
    );
}

describe("kube-vip's manifest (pure)", () => {
    const docs = (text: string) => yaml.loadAll(text) as Obj[];

    it("is the RBAC and a DaemonSet on the servers announcing the VIP by ARP with leader election, its image pinned", () => {
        const all = docs(kubeVipManifest({ address: VIP }));
        expect(all.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(["ServiceAccount/kube-vip", "ClusterRole/system:kube-vip-role", "ClusterRoleBinding/system:kube-vip-binding", "DaemonSet/kube-vip-ds"]);
        const ds = all[3];
        const pod = ds.spec.template.spec;
        const env = Object.fromEntries(pod.containers[0].env.filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
        expect(env).toMatchObject({ address: VIP, vip_arp: "true", cp_enable: "true", svc_enable: "false", vip_leaderelection: "true", port: "6443" });
        expect(env.vip_interface).toBeUndefined();
        expect(pod.containers[0].image).toBe(KUBE_VIP_IMAGE);
        expect(KUBE_VIP_IMAGE).toMatch(/:v\d+\.\d+\.\d+$/);
        expect(pod.hostNetwork).toBe(true);
        expect(pod.containers[0].securityContext.capabilities).toEqual({ add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] });
        expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.map((t: Obj) => t.matchExpressions[0].key)).toEqual([
            "node-role.kubernetes.io/master",
            "node-role.kubernetes.io/control-plane",
        ]);
        expect(ds.metadata.namespace).toBe("kube-system");
    });

    it("names the interface only when cluster.apiVipInterface sets it (else kube-vip takes the default route's)", () => {
        const env = (docs(kubeVipManifest({ address: VIP, interface: "enp1s0" }))[3].spec.template.spec.containers[0].env as Obj[]).find((e) => e.name === "vip_interface");
        expect(env).toEqual({ name: "vip_interface", value: "enp1s0" });
    });
});

describe("a cluster with cluster.apiVip (3 servers + 1 agent)", () => {
    const rec = recorder();
    let registered: RegisteredResource[];
    let picluster: Picluster;
    const reg = (name: string) => registered.find((r) => r.name === name) as RegisteredResource;
    const recorded = (name: string) => rec.resources.find((r) => r.name === name) as RecordedResource;
    const configOf = (n: string) => yaml.load(unwrapSecrets(reg(`${n}-install`).inputs.stdin) as string) as Obj;

    beforeAll(async () => {
        resetRegistry();
        picluster = new Picluster("picluster", planStack(haSource()), { transformations: [rec.transform] });
        await valueOf(picluster.kubeconfig);
        registered = await registeredResources();
    });

    it("places kube-vip's manifest on the first server only, over stdin, removing it on delete", () => {
        const manifests = registered.filter((r) => r.name === "cluster-kube-vip");
        expect(manifests).toHaveLength(1);
        const m = manifests[0];
        expect(unwrapSecrets(m.inputs.connection)).toMatchObject({ host: "192.168.1.11" });
        expect(m.inputs.create).toContain("MODE=place");
        expect(m.inputs.delete).toContain("MODE=remove");
        expect(m.inputs.stdin).toBe(kubeVipManifest({ address: VIP }));
    });

    it("starts the first server after the manifest is placed, and waits for the VIP after the first server's install", async () => {
        expect(await dependencyNames(recorded("cp-1-install").opts)).toEqual(["cluster-kube-vip"]);
        expect(await dependencyNames(recorded("cluster-api-vip").opts)).toEqual(["cluster-kube-vip", "cp-1-install"]);
        expect(reg("cluster-api-vip").inputs.create).toMatch(/MODE=wait PORT=6443 READY_TIMEOUT=300 VIP=192\.168\.1\.5 /);
    });

    it("joins every other node only once the VIP answers: servers one at a time, the agent beside them", async () => {
        expect(await dependencyNames(recorded("cp-2-install").opts)).toEqual(["cluster-api-vip", "cp-1-joined", "cp-2-preinstall"]);
        expect(await dependencyNames(recorded("cp-3-install").opts)).toEqual(["cluster-api-vip", "cp-2-install", "cp-3-preinstall"]);
        expect(await dependencyNames(recorded("pi-1-install").opts)).toEqual(["cluster-api-vip", "cp-1-install", "pi-1-preinstall"]);
    });

    it("names the VIP as every joining node's server and in every server's tls-san; the first server starts on its own", () => {
        expect(configOf("cp-1").server).toBeUndefined();
        for (const n of ["cp-2", "cp-3", "pi-1"]) expect(configOf(n).server).toBe(`https://${VIP}:6443`);
        for (const n of ["cp-1", "cp-2", "cp-3"]) expect(configOf(n)["tls-san"]).toContain(VIP);
        expect(configOf("pi-1")["tls-san"]).toBeUndefined();
    });

    it("exports a kubeconfig whose server is the VIP", async () => {
        const doc = yaml.load(await valueOf(picluster.kubeconfig)) as Obj;
        expect(doc.clusters[0].cluster.server).toBe(`https://${VIP}:6443`);
    });
});

describe("a cluster without cluster.apiVip", () => {
    it("registers no kube-vip step and joins through the first server", async () => {
        resetRegistry();
        const p = new Picluster("picluster", planStack(haSource({ apiVip: undefined, lanCidr: undefined })));
        await valueOf(p.kubeconfig);
        const names = (await registeredResources()).map((r) => r.name);
        expect(names.filter((n) => /kube-vip|api-vip/.test(n))).toEqual([]);
        const doc = yaml.load(await valueOf(p.kubeconfig)) as Obj;
        expect(doc.clusters[0].cluster.server).toBe("https://192.168.1.11:6443");
    });
});

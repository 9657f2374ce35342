import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import { NAMESPACE } from "../../config/load";
import { installOfflineMocks, settle, type RegisteredResource } from "../../scripts/lib/offlineEngine";
import { offlineValues } from "../../scripts/lib/stackFile";
import { installMocks } from "../helpers/mocks";

/*
 * Each bad input goes through the real index.ts under the offline mocks. The
 * error must name the key, and nothing at all may have reached the engine:
 * not the join token, not a node's preflight command.
 */

const ROOT = path.join(__dirname, "..", "..");
type Values = Record<string, any>;

/** Runs index.ts on the `pi` stack after `edit`; returns the error (if any) and what was registered. */
async function runProgram(edit: (v: Values, secretKeys: string[]) => void): Promise<{ error?: Error; registered: RegisteredResource[] }> {
    const { values, secretKeys } = offlineValues(ROOT, "pi");
    const v = structuredClone(values) as Values;
    edit(v, secretKeys);
    const registered: RegisteredResource[] = [];
    installOfflineMocks("pi", registered);
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(v)) if (value !== undefined) config[`${NAMESPACE}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    pulumi.runtime.setAllConfig(config, secretKeys.map((k) => `${NAMESPACE}:${k}`));
    vi.resetModules();
    let error: Error | undefined;
    try {
        await import("../../index");
    } catch (e) {
        error = e as Error;
    }
    await settle(registered);
    return { error, registered };
}

const node = (v: Values, name: string) => v.cluster.nodes.find((n: Values) => n.name === name);

/** [what, edit, the key (or workload) the one-line error must name]. */
const badInputs: [string, (v: Values, secretKeys: string[]) => void, RegExp][] = [
    // The holes this plan closes.
    ["an unknown top-level key (a typo)", (v) => (v.agenthost = { enabled: true }), /picluster:agenthost is not a picluster setting.*did you mean picluster:agentHost\?/],
    ["a CPU written as the YAML number 1e-7", (v) => (v.services.ollama.resources = { requests: { cpu: 1e-7 } }), /picluster:services\.ollama\.resources\.requests\.cpu = 1e-7: must be a CPU quantity/],
    ["an IPv4 address with leading zeros", (v) => (node(v, "pi-2").host = "192.168.001.022"), /picluster:cluster\.nodes\[2\]\.host = "192\.168\.001\.022": .*leading zeros/],
    ["an even number of servers", (v) => (node(v, "pi-1").role = "server"), /picluster:cluster\.nodes has 2 servers \(cp-1, pi-1\): embedded etcd needs an odd count/],
    ["overlapping pod and service CIDRs", (v) => (v.cluster.server.serviceCidr = "10.42.128.0/17"), /picluster:cluster\.server\.serviceCidr = "10\.42\.128\.0\/17": overlaps clusterCidr/],
    ["a malformed pod CIDR", (v) => (v.cluster.server.clusterCidr = "10.42.0.1/16"), /picluster:cluster\.server\.clusterCidr = "10\.42\.0\.1\/16": is not a network address/],
    ["an invalid etcd snapshot cron", (v) => (v.cluster.server.etcdSnapshotCron = "0 */12 * *"), /picluster:cluster\.server\.etcdSnapshotCron = "0 \*\/12 \* \*": has 4 field/],
    ["an out-of-range etcd snapshot cron", (v) => (v.cluster.server.etcdSnapshotCron = "0 25 * * *"), /picluster:cluster\.server\.etcdSnapshotCron = "0 25 \* \* \*": has an invalid hour field/],
    ["an Ingress host that is an IP", (v) => (v.apps[0].ingress = { host: "192.168.1.50" }), /picluster:apps\[0\]\.ingress\.host = "192\.168\.1\.50": is an IP address/],
    ["an Ingress host with uppercase letters", (v) => (v.services.rocketchat = { host: "Chat.Example.org" }), /picluster:services\.rocketchat\.host = "Chat\.Example\.org": has uppercase letters/],
    ["an https installer URL without its sha256", (v) => (v.cluster.installScriptUrl = "https://get.k3s.io"), /picluster:cluster\.installScriptSha256: is required to run the installer from https:\/\/get\.k3s\.io/],
    ["storageClass: \"\"", (v) => (v.services.storageClass = ""), /picluster:services\.storageClass = "": must name a StorageClass/],
    ["metrics-server disabled while the agent-host HPA needs it", (v) => (v.cluster.server.disable = ["traefik", "metrics-server"]), /picluster:cluster\.server\.disable = .*metrics-server is disabled but agentHost's HorizontalPodAutoscaler/],
    [
        "a worker template bigger than its namespace quota",
        (v) => (v.workerAgents.templates[0].resources = { requests: { cpu: "6", memory: "1Gi" }, limits: { cpu: "6", memory: "4Gi" } }),
        /picluster:workerAgents\.templates\[0\]\.resources\.requests\.cpu = "6": exceeds workerAgents\.quota\.requests\.cpu \(4\)/,
    ],
    ["taints that leave no node for a service", (v) => (node(v, "cp-1").taints = ["dedicated=infra:NoSchedule"]), /rocketchat .*cp-1 has taint dedicated=infra:NoSchedule and the workload does not tolerate it/],
    // The cross-key errors that used to be thrown from inside components.
    ["ollama.gpu with no GPU node", (v) => (v.services.ollama.gpu = true), /picluster:services\.ollama\.gpu = true: no node in cluster\.nodes has gpu: true/],
    ["apps[].postgres while postgres is disabled", (v) => (v.services.postgres.enabled = false), /picluster:apps\[0\]\.postgres = .*services\.postgres is disabled/],
    ["an app secret that is not set", (v) => (v.apps[0].secrets = { API_KEY: "noSuchKey" }), /picluster:apps\[0\]\.secrets\.API_KEY = "noSuchKey": picluster:noSuchKey is missing/],
    [
        "an app secret stored in plain text",
        (v) => {
            v.apps[0].secrets = { API_KEY: "apiKey" };
            v.apiKey = "plain";
        },
        /picluster:apps\[0\]\.secrets\.API_KEY = "apiKey": picluster:apiKey is stored in plain text/,
    ],
    ["a catalog secret that is not set", (v) => (v.services.catalog[0].secretValues = { "hub.token": "noSuchKey" }), /picluster:services\.catalog\[0\]\.secretValues\.hub\.token = "noSuchKey": picluster:noSuchKey is missing/],
    ["workloads that do not fit the nodes", (v) => (v.services.ollama.resources = { requests: { memory: "100Gi" } }), /capacity check failed[\s\S]*ollama/],
    ["agentHost.arch that no node has", (v) => (v.cluster.nodes = v.cluster.nodes.filter((n: Values) => n.arch === "amd64")), /picluster:agentHost\.arch = "arm64": no declared node has that architecture/],
    ["a node's sshKey that is not set", (v) => (node(v, "pi-1").sshKey = "piKey"), /picluster:cluster\.nodes\[1\]\.sshKey = "piKey": no key picluster:piKey is set/],
    ["two nodes with one name", (v) => (node(v, "pi-2").name = "pi-1"), /picluster:cluster\.nodes\[2\]\.name .*duplicates nodes\[1\]\.name/],
];

describe("index.ts plans before it registers anything", () => {
    afterAll(() => installMocks());

    it("registers the whole stack when the plan holds (the control case)", async () => {
        const { error, registered } = await runProgram(() => {});
        expect(error).toBeUndefined();
        expect(registered.filter((r) => r.custom).length).toBeGreaterThan(100);
    });

    it.each(badInputs)("refuses %s, naming the key, with zero resources registered", async (_what, edit, names) => {
        const { error, registered } = await runProgram(edit);
        expect(error?.message).toMatch(names);
        expect(error?.message).toMatch(/nothing was changed/);
        expect(registered.filter((r) => r.custom)).toEqual([]);
        expect(registered).toEqual([]);
    });
});

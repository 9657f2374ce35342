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
    ["an app secret that is not set", (v) => (v.apps[0].secrets = { API_KEY: "noSuchKey" }), /picluster:apps\[0\]\.secrets\.API_KEY = "noSuchKey": no secret picluster:noSuchKey is set/],
    [
        "an app secret stored in plain text",
        (v) => {
            v.apps[0].secrets = { API_KEY: "apiKey" };
            v.apiKey = "plain";
        },
        /picluster:apps\[0\]\.secrets\.API_KEY = "apiKey": picluster:apiKey is stored in plain text/,
    ],
    ["a catalog secret that is not set", (v) => (v.services.catalog[0].secretValues = { "hub.token": "noSuchKey" }), /picluster:services\.catalog\[0\]\.secretValues\.hub\.token = "noSuchKey": no secret picluster:noSuchKey is set/],
    ["workloads that do not fit the nodes", (v) => (v.services.ollama.resources = { requests: { memory: "100Gi" } }), /capacity check failed[\s\S]*ollama/],
    ["agentHost.arch that no node has", (v) => (v.cluster.nodes = v.cluster.nodes.filter((n: Values) => n.arch === "amd64")), /picluster:agentHost\.arch = "arm64": no declared node has that architecture/],
    ["a node's sshKey that is not set", (v) => (node(v, "pi-1").sshKey = "piKey"), /picluster:cluster\.nodes\[1\]\.sshKey = "piKey": no secret picluster:piKey is set/],
    ["two nodes with one name", (v) => (node(v, "pi-2").name = "pi-1"), /picluster:cluster\.nodes\[2\]\.name .*duplicates nodes\[1\]\.name/],
];

/** A credential a user might paste where the name of a secret key belongs: it must never be echoed. */
const PASTED = "ghp_8fK2xQ9mZ7vL4tR6wY1pN3sB5dJ0hC";

/**
 * Bad configs where two parts meet, grouped by joint: [what, edit, the key
 * the message must name]. Each is refused before any registration, once,
 * with no secret echoed.
 */
const jointInputs: Record<string, [string, (v: Values, secretKeys: string[]) => void, RegExp][]> = {
    "objects created twice": [
        ["a catalog entry named like the monitoring release, in its namespace", (v) => v.services.catalog.push({ name: "monitoring", chart: "x", repo: "https://example.org/charts", version: "1.0.0", namespace: "monitoring" }), /picluster:services\.catalog\[\d\] creates HelmRelease monitoring\/monitoring, which picluster:services\.monitoring already creates/],
        ["an app in the agent host's namespace", (v) => (v.apps[0].namespace = "rustic-ai"), /picluster:agentHost creates Namespace rustic-ai, which picluster:apps\[0\] already creates/],
        ["the worker-agents namespace named like an app's", (v) => (v.workerAgents.namespace = v.apps[0].name), /picluster:workerAgents\.namespace creates Namespace placemyparents, which picluster:apps\[0\] already creates/],
        ["an app namespace that is k3s's own", (v) => (v.apps[0].namespace = "kube-system"), /picluster:apps\[0\] creates Namespace kube-system, which k3s already creates; .*k3s owns kube-system/],
        ["an app named like Ollama's Service, in its namespace", (v) => Object.assign(v.apps[0], { name: "ollama-service", namespace: "ai-services" }), /picluster:apps\[0\] creates Service ai-services\/ollama-service, which picluster:services\.ollama already creates/],
    ],
    "storage class, storage kind and k3s's components": [
        ["Longhorn's class with local-path storage", (v) => (v.services.storageClass = "longhorn"), /picluster:services\.storageClass = "longhorn": only Longhorn installs that class/],
        ["local-path with k3s's local-storage disabled", (v) => (v.cluster.server.disable = ["traefik", "local-storage"]), /picluster:services\.storageClass = "local-path": cluster\.server\.disable lists local-storage/],
    ],
    "reserved labels and taints": [
        ["a user label overriding the GPU node label", (v) => (node(v, "pi-1").labels = { "picluster.io/gpu": "false" }), /picluster:cluster\.nodes\[1\]\.labels\."picluster\.io\/gpu" = "false": the program sets it from cluster\.nodes\[\]\.gpu/],
        ["a kubernetes.io/arch label that contradicts the node's arch", (v) => (node(v, "pi-1").labels = { "kubernetes.io/arch": "amd64" }), /picluster:cluster\.nodes\[1\]\.labels\."kubernetes\.io\/arch" = "amd64": contradicts cluster\.nodes\[1\]\.arch "arm64"/],
        ["a node.kubernetes.io taint", (v) => (node(v, "pi-1").taints = ["node.kubernetes.io/unreachable:NoSchedule"]), /picluster:cluster\.nodes\[1\]\.taints\[0\] = "node\.kubernetes\.io\/unreachable": the node lifecycle controller owns/],
    ],
    "CIDRs, hosts and ports": [
        ["a service network over the nodes' LAN", (v) => (v.cluster.server.serviceCidr = "192.168.0.0/16"), /picluster:cluster\.server\.serviceCidr = "192\.168\.0\.0\/16": contains cluster\.nodes\[0\]\.host 192\.168\.1\.10/],
        ["a node host that is the broadcast address", (v) => (node(v, "pi-4").host = "255.255.255.255"), /picluster:cluster\.nodes\[4\]\.host = "255\.255\.255\.255": is the broadcast address/],
    ],
    "k3s components the platform needs": [
        ["CoreDNS turned off", (v) => (v.cluster.server.disable = ["traefik", "coredns"]), /picluster:cluster\.server\.disable = .*without CoreDNS no pod resolves a Service name/],
        [
            "an Ingress host with Traefik disabled and no other controller",
            (v) => {
                v.services.rocketchat = { host: "chat.example.org" };
                v.cluster.server.disable = ["traefik"];
            },
            /picluster:services\.rocketchat\.host = "chat\.example\.org": cluster\.server\.disable lists traefik/,
        ],
    ],
    "the front door": [
        ["a domain with no controller serving it (Traefik disabled)", (v) => (v.cluster.server.disable = ["traefik"]), /picluster:network\.domain = "pi\.home\.arpa": cluster\.server\.disable lists traefik, k3s's ingress controller, and nothing else serves Ingress/],
        ["an app's route with no controller serving it", (v) => { v.cluster.server.disable = ["traefik"]; v.apps[0].ingress = { host: "mcp.example.org" }; }, /picluster:apps\[0\]\.ingress\.host = "mcp\.example\.org": cluster\.server\.disable lists traefik/],
        ["a UI without a login and without auth while auth is required", (v) => (v.network.routes = { prometheus: { auth: false } }), /picluster:network\.routes\.prometheus\.auth = false: prometheus .* has no login of its own and network\.auth\.required is true/],
        [
            "ACME whose DNS token secret is not set",
            (v) => (v.network = { ...v.network, domain: "lab.example.org", tls: { issuer: "acme", acme: { email: "admin@example.org", dns01: { provider: "cloudflare", apiTokenKey: "cloudflareToken" } } } }),
            /picluster:network\.tls\.acme\.dns01\.apiTokenKey = "cloudflareToken": no secret picluster:cloudflareToken is set/,
        ],
        ["ACME with the token pasted where its key name belongs", (v) => (v.network = { ...v.network, domain: "lab.example.org", tls: { issuer: "acme", acme: { email: "admin@example.org", dns01: { provider: "cloudflare", apiTokenKey: PASTED } } } }), /picluster:network\.tls\.acme\.dns01\.apiTokenKey = \(a value of 34 characters, not shown/],
    ],
    "schedules": [
        ["an etcd snapshot on day-of-week 7", (v) => (v.cluster.server.etcdSnapshotCron = "0 3 * * 7"), /picluster:cluster\.server\.etcdSnapshotCron = "0 3 \* \* 7": has an invalid day-of-week field/],
        ["a snapshot range that wraps midnight", (v) => (v.cluster.server.etcdSnapshotCron = "0 22-2 * * *"), /picluster:cluster\.server\.etcdSnapshotCron = "0 22-2 \* \* \*": .*runs backwards/],
    ],
    "Ollama's consumers": [
        [
            "the agent host and a worker template sent to a disabled Ollama",
            (v) => (v.services.ollama.enabled = false),
            /picluster:agentHost\.ollamaAccess = true: services\.ollama is disabled and services\.ollama\.external is not set[\s\S]*picluster:workerAgents\.templates\[0\]\.ollama = true: .*template code-reviewer would be sent to an Ollama that does not exist/,
        ],
        ["an external Ollama by host name, with no CIDR for the NetworkPolicies", (v) => (v.services.ollama = { enabled: false, external: { url: "http://ollama.lan:11434" } }), /picluster:services\.ollama\.external\.url = "http:\/\/ollama\.lan:11434": its host is a name.*add services\.ollama\.external\.cidr/],
        ["an external Ollama beside the enabled one", (v) => (v.services.ollama.external = { url: "http://192.168.1.50:11434" }), /picluster:services\.ollama\.external\.url = "http:\/\/192\.168\.1\.50:11434": services\.ollama\.enabled is true/],
    ],
    "memory limits and the nodes": [
        ["an agent host whose memory limit is a whole Pi", (v) => (v.agentHost.resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "4", memory: "8Gi" } }), /picluster:agentHost\.resources\.limits\.memory = "8Gi": rustic-ai\/agent-host may run on nodes of at most 8Gi \(pi-1\)/],
        ["Ollama's limit above its amd64 node", (v) => (v.services.ollama.resources = { limits: { memory: "31Gi" } }), /picluster:services\.ollama\.resources\.limits\.memory = "31Gi": ollama may run on nodes of at most 32Gi \(cp-1\)/],
    ],
    "alerts and their receiver": [
        ["Alertmanager on with no receiver", (v) => (v.services.monitoring.alertmanager = true), /picluster:services\.monitoring\.alertmanager = true: but no receiver is configured, so every alert would go nowhere/],
        ["an alert webhook whose secret is not set", (v) => (v.services.monitoring.alerts = { webhook: { urlKey: "alertWebhookUrl" } }), /picluster:services\.monitoring\.alerts\.webhook\.urlKey = "alertWebhookUrl": .*alertWebhookUrl/],
    ],
    "messages that mislead or leak": [
        ["a wrong SSH port (its key must not be called unused)", (v) => (node(v, "pi-1").sshPort = 70000), /^(?![\s\S]*sshPrivateKey is not a picluster setting)[\s\S]*picluster:cluster\.nodes\[1\]\.sshPort = 70000/],
        ["a typo in a secret reference", (v, keys) => { v.apps[0].secrets = { API_KEY: "apiKee" }; v.apiKey = "s3cret-value"; keys.push("apiKey"); }, /picluster:apiKey is set but nothing references it, while a reference names "apiKee", which is not set; change that reference to "apiKey"/],
        ["a credential pasted where a secret's name belongs", (v) => (v.apps[0].secrets = { API_KEY: PASTED }), /picluster:apps\[0\]\.secrets\.API_KEY = \(a value of 34 characters, not shown: this field takes the name of a secret config key/],
        ["a k3s version written as a YAML number", (v) => (v.cluster.k3sVersion = 1.33), /picluster:cluster\.k3sVersion = 1\.33: must be a k3s release string .*quote it/],
        ["a typo in a nested key", (v) => (v.cluster.upgrade = { agentConcurency: 2 }), /picluster:cluster\.upgrade = .*unknown key "agentConcurency"; did you mean "agentConcurrency"\?/],
    ],
};

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

describe.each(Object.entries(jointInputs))("where parts meet: %s", (_joint, cases) => {
    afterAll(() => installMocks());

    it.each(cases)("refuses %s: the key named once, nothing registered, no secret echoed", async (_what, edit, names) => {
        const { error, registered } = await runProgram(edit);
        expect(error?.message).toMatch(names);
        expect(error?.name).toBe("ConfigError");
        // One message: a RunError the CLI prints once, without a stack trace.
        expect((error as { __pulumiRunError?: boolean }).__pulumiRunError).toBe(true);
        const lines = (error?.message ?? "").split("\n").filter((l) => l.startsWith("  - "));
        expect(new Set(lines).size).toBe(lines.length);
        expect(error?.message).not.toContain(PASTED);
        expect(error?.message).not.toContain("s3cret-value");
        expect(registered).toEqual([]);
    });
});

import { z } from "zod";
import { byteQuantity, dnsLabel, hostname, isLabelKey, isLabelValue, labels } from "./common";
import { registriesSchema } from "./registries";

/** A k3s release such as `v1.31.4+k3s1`; channels (`stable`, `latest`) are refused. */
export const k3sVersion = z
    .string({ error: (issue) => (issue.input === undefined ? "is required: pin a k3s release such as v1.33.5+k3s1" : "must be a k3s release string such as v1.33.5+k3s1") })
    .regex(/^v1\.\d+\.\d+\+k3s\d+$/, "must be a pinned k3s release such as v1.33.5+k3s1 (channels like 'stable' or 'latest' are not allowed)");

export const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

export interface Taint {
    key: string;
    value?: string;
    effect: (typeof taintEffects)[number];
}

/** Parses the kubectl/k3s taint syntax `key[=value]:Effect`; returns undefined when malformed. */
export function parseTaint(text: string): Taint | undefined {
    const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(text);
    if (!m) return undefined;
    const [, key, value, effect] = m;
    if (!isLabelKey(key) || (value !== undefined && !isLabelValue(value))) return undefined;
    if (!(taintEffects as readonly string[]).includes(effect)) return undefined;
    return value === undefined ? { key, effect: effect as Taint["effect"] } : { key, value, effect: effect as Taint["effect"] };
}

export const taint = z
    .string()
    .transform((text, ctx) => {
        const parsed = parseTaint(text);
        if (!parsed) {
            ctx.addIssue({
                code: "custom",
                message: `is not a valid taint: use key[=value]:Effect with Effect one of ${taintEffects.join(", ")} (e.g. gpu=true:NoSchedule)`,
            });
            return z.NEVER;
        }
        return parsed;
    });

const sshHostKey = z
    .string()
    .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, "must be an SSH public host key line such as 'ssh-ed25519 AAAA…' (see `ssh-keyscan -t ed25519 HOST`)");

export const nodeSchema = z.strictObject({
    /** Kubernetes node name; also the Pulumi resource name, so renaming a node replaces it. */
    name: dnsLabel,
    host: hostname,
    sshPort: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name"),
    role: z.enum(["server", "agent"], { error: "must be 'server' or 'agent'" }),
    arch: z.enum(["amd64", "arm64"], { error: "must be 'amd64' (x86-64) or 'arm64' (Raspberry Pi)" }),
    labels: labels.default({}),
    taints: z.array(taint).default([]),
    /** Pins the node's SSH host key; without it the first key seen is trusted. */
    hostKey: sshHostKey.optional(),
    /** Name of another secret key under `picluster:` holding this node's SSH private key. */
    sshKey: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. piKey").optional(),
    /** A mounted filesystem (e.g. USB SSD) for k3s data and local-path volumes. */
    dataDir: z.string().regex(/^\/[^\s'"$`\\]*$/, "must be an absolute path without spaces or quotes").optional(),
    /** The node carries an NVIDIA GPU usable by Ollama. */
    gpu: z.boolean().default(false),
    /** Physical GPUs on a `gpu: true` node (default 1), for the capacity check. */
    gpus: z.number().int().min(1).optional(),
    /** Allow `gpu: true` on an arm64 node (e.g. a Jetson); picluster tests GPUs on amd64 only. */
    allowGpuOnArm64: z.boolean().default(false),
    /** Allocatable capacity, used by the preview-time capacity check. */
    capacity: z
        .strictObject({ cpu: z.number().positive(), memory: byteQuantity, /** Free space for volumes (default per arch). */ disk: byteQuantity.optional() })
        .optional(),
});

export const serverOptionsSchema = z.strictObject({
    /** Packaged k3s components to switch off (`traefik`, `servicelb`, …). */
    disable: z.array(z.enum(["traefik", "servicelb", "local-storage", "metrics-server", "coredns"])).default([]),
    clusterCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR such as 10.42.0.0/16").default("10.42.0.0/16"),
    serviceCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR such as 10.43.0.0/16").default("10.43.0.0/16"),
    flannelBackend: z.enum(["vxlan", "host-gw", "wireguard-native", "none"]).default("vxlan"),
    secretsEncryption: z.boolean().default(true),
    /** Scheduled etcd snapshots (HA/embedded etcd only): cron and how many to keep. */
    etcdSnapshotCron: z.string().default("0 */12 * * *"),
    etcdSnapshotRetention: z.number().int().min(1).default(10),
});

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 in lower-case hex (64 characters), as `sha256sum FILE` prints it");

/** A file on the workstation, copied to the nodes and checked there by its sha256. */
export const artifactFileSchema = z.strictObject({
    /** Path on the workstation (relative paths are relative to the project directory). */
    path: z.string().min(1, "must name a file on the workstation"),
    sha256,
});

/**
 * Artifact mode: nothing is downloaded on the nodes. The installer script, the
 * k3s binary of each node's arch and optionally the airgap images tarball are
 * copied from the workstation, checked by sha256 on the node, and the installer
 * runs with INSTALL_K3S_SKIP_DOWNLOAD=true.
 */
export const artifactsSchema = z.strictObject({
    installScript: artifactFileSchema,
    /** The k3s release binary per arch (`k3s` for amd64, `k3s-arm64` for arm64). */
    k3s: z.strictObject({ amd64: artifactFileSchema.optional(), arm64: artifactFileSchema.optional() }),
    /** The airgap images tarball per arch (k3s-airgap-images-ARCH.tar.zst), placed in the agent images dir. */
    images: z.strictObject({ amd64: artifactFileSchema.optional(), arm64: artifactFileSchema.optional() }).optional(),
});

/** Bounds on every wait of the node life cycle. */
export const timeoutsSchema = z.strictObject({
    /** Install, join, reconfigure and upgrade: until the unit is active and the node Ready. */
    readySeconds: z.number().int().min(1).default(300),
    /** A drain before an upgrade; a budget-blocked drain fails after this. */
    drainSeconds: z.number().int().min(1).default(300),
});

export const preflightSchema = z.strictObject({
    minFreeDiskMiB: z.number().int().min(0).default(4096),
    maxClockSkewSeconds: z.number().int().min(1).default(5),
});

export const upgradeSchema = z.strictObject({
    /** How many agents upgrade at once (drained, upgraded, Ready, uncordoned together); servers always go one at a time. */
    agentConcurrency: z
        .number({ error: "must be a whole number >= 1 (how many agents upgrade at once)" })
        .int("must be a whole number >= 1 (how many agents upgrade at once)")
        .min(1, "must be at least 1: agents upgrade in batches of this size (1 = one at a time)")
        .default(1),
});

export const clusterSchema = z
    .strictObject({
        k3sVersion,
        apiEndpoint: z.string().optional(),
        /** Extra names/addresses in the API server certificate (a VIP or DNS name). */
        tlsSans: z.array(hostname).default([]),
        /**
         * A virtual IP for the API server, announced by kube-vip from the
         * servers (ARP, leader election): the default apiEndpoint, the joins'
         * `server:` and the kubeconfig's server; always in the servers' tls-san.
         */
        apiVip: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "must be an IPv4 address such as 192.168.1.5 (kube-vip announces it by ARP)").optional(),
        /** The servers' interface kube-vip announces apiVip on; default: each server's default-route interface. */
        apiVipInterface: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, "must be a network interface name such as eth0 or enp1s0").optional(),
        /** The LAN the nodes share (e.g. 192.168.1.0/24): apiVip and network.loadBalancer.addresses must lie in it. */
        lanCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR such as 192.168.1.0/24").optional(),
        /**
         * Where nodes fetch the k3s installer from (https only, checked against
         * installScriptSha256); `file:///path` uses a copy already on the node.
         * Default: install.sh at a fixed k3s commit, with its sha256 (DEFAULT_INSTALLER).
         */
        installScriptUrl: z
            .string()
            .regex(/^(https|file):\/\/\S+$/, "must be an https:// or file:// URL (plain http:// is refused: the installer runs as root)")
            .optional(),
        /** sha256 of the installer at installScriptUrl; required for https URLs (the default's is built in). */
        installScriptSha256: sha256.optional(),
        /** Copy pinned artifacts from the workstation instead of downloading on the nodes. */
        artifacts: artifactsSchema.optional(),
        timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
        /** Apply Pi/Ubuntu fixes (cgroups, swap, firewall) and reboot; false only checks. */
        prepare: z.boolean().default(false),
        server: serverOptionsSchema.default(serverOptionsSchema.parse({})),
        preflight: preflightSchema.default(preflightSchema.parse({})),
        /** Rolling-upgrade settings (`cluster.upgrade.agentConcurrency`). */
        upgrade: upgradeSchema.default(upgradeSchema.parse({})),
        nodes: z.array(nodeSchema).default([]),
        /** k3s registries.yaml: mirrors, auth (secret key names) and TLS, written to every node. */
        registries: registriesSchema.optional(),
        /** Existing cluster instead of bootstrapping (must be set with --secret). */
        kubeconfig: z.string().optional(),
    })
    // Runs even when fields are invalid, so one run reports every problem;
    // hence the defensive reads of the raw value.
    .superRefine((value, ctx) => crossNodeChecks(value as unknown as RawCluster, ctx), { when: () => true });

type RawNode = { name?: unknown; host?: unknown; sshPort?: unknown; role?: unknown; arch?: unknown; gpu?: unknown; gpus?: unknown; allowGpuOnArm64?: unknown };
type RawCluster = { kubeconfig?: unknown; nodes?: unknown; apiEndpoint?: unknown; tlsSans?: unknown; apiVip?: unknown };

function crossNodeChecks(c: RawCluster, ctx: z.RefinementCtx): void {
    if (typeof c !== "object" || c === null) return;
    const nodes: RawNode[] = Array.isArray(c.nodes) ? c.nodes.filter((n): n is RawNode => typeof n === "object" && n !== null) : [];
    if (c.kubeconfig !== undefined) {
        if (nodes.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["kubeconfig"],
                message: "is set together with cluster.nodes: either bootstrap the nodes (remove kubeconfig) or target an existing cluster (remove nodes)",
            });
        }
        return;
    }
    const servers = nodes.filter((n) => n.role === "server");
    if (servers.length === 0) {
        ctx.addIssue({ code: "custom", path: ["nodes"], message: "has no node with role: server; declare at least one server (the control plane)" });
    }
    const seen = new Map<unknown, number>();
    const seenHost = new Map<string, number>();
    nodes.forEach((n, i) => {
        const prev = seen.get(n.name);
        if (prev !== undefined) {
            ctx.addIssue({ code: "custom", path: ["nodes", i, "name"], message: `duplicates nodes[${prev}].name '${String(n.name)}'; node names must be unique` });
        } else seen.set(n.name, i);
        const hostKey = `${String(n.host)}:${typeof n.sshPort === "number" ? n.sshPort : 22}`;
        const prevHost = seenHost.get(hostKey);
        if (prevHost !== undefined) {
            ctx.addIssue({ code: "custom", path: ["nodes", i, "host"], message: `duplicates nodes[${prevHost}].host '${hostKey}'; each node needs its own host (or sshPort)` });
        } else seenHost.set(hostKey, i);
        if (n.gpu === true && n.arch !== "amd64" && n.allowGpuOnArm64 !== true) {
            ctx.addIssue({
                code: "custom",
                path: ["nodes", i, "gpu"],
                message: "is true on an arm64 node; GPU inference is supported on the amd64 node only (for an arm64 board with an NVIDIA GPU, such as a Jetson, also set allowGpuOnArm64: true)",
            });
        }
        if (n.gpus !== undefined && n.gpu !== true) {
            ctx.addIssue({ code: "custom", path: ["nodes", i, "gpus"], message: "is set on a node without gpu: true; set gpu: true or remove gpus" });
        }
    });
    if (typeof c.apiEndpoint === "string") {
        const host = endpointHost(c.apiEndpoint);
        const sans = Array.isArray(c.tlsSans) ? c.tlsSans : [];
        const known = [...servers.map((n) => n.host), ...servers.map((n) => n.name), ...sans, c.apiVip];
        if (!known.includes(host)) {
            ctx.addIssue({
                code: "custom",
                path: ["apiEndpoint"],
                message: `'${c.apiEndpoint}' is not a server node's host, cluster.apiVip or listed in cluster.tlsSans; use one of [${servers.map((n) => String(n.host)).join(", ")}], set apiVip, or add it to tlsSans (for a load balancer)`,
            });
        }
    }
}

/**
 * The default installer: k3s's install.sh at one fixed commit of k3s-io/k3s
 * (a commit's file never changes, a tag's or get.k3s.io's can) and its
 * sha256, checked on the node before it runs. install.sh installs whatever
 * INSTALL_K3S_VERSION names, so one script serves every pinned release. The
 * same file is the real installer the end-to-end suite runs (docs/e2e.md).
 */
export const DEFAULT_INSTALLER = {
    url: "https://raw.githubusercontent.com/k3s-io/k3s/0136cf258954a458da1404858396342724b93d24/install.sh",
    sha256: "40b487f0d8ef4f5d1bf422e7bb6228cc7789c40ecc66c5ab067d396bbee9816e",
} as const;

/** The installer URL: the configured one, else the pinned default. */
export function installerUrl(cluster: { installScriptUrl?: string }): string {
    return cluster.installScriptUrl ?? DEFAULT_INSTALLER.url;
}

/** The sha256 the installer is checked against: the configured one, else the default's for the default URL. */
export function installerSha256(cluster: { installScriptUrl?: string; installScriptSha256?: string }): string | undefined {
    return cluster.installScriptSha256 ?? (cluster.installScriptUrl === undefined ? DEFAULT_INSTALLER.sha256 : undefined);
}

/** The host part of `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address is returned whole. */
export function endpointHost(endpoint: string): string {
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint);
    if (bracketed) return bracketed[1];
    if ((endpoint.match(/:/g) ?? []).length > 1) return endpoint;
    return endpoint.replace(/:\d+$/, "");
}

/**
 * Cross-key problems of the node installer settings, each as "key: message".
 * Pure; the plan stage runs it before any resource is registered.
 */
export function installerProblems(cluster: Pick<ClusterSpec, "installScriptUrl" | "installScriptSha256" | "artifacts" | "nodes" | "k3sVersion">): string[] {
    const problems: string[] = [];
    if (cluster.artifacts) {
        cluster.nodes.forEach((n, i) => {
            if (!cluster.artifacts?.k3s[n.arch]) {
                problems.push(`cluster.artifacts.k3s.${n.arch}: is missing, but nodes[${i}] '${n.name}' is ${n.arch}; add the k3s binary for ${n.arch} with its sha256 (from the release's sha256sum-${n.arch}.txt)`);
            }
        });
        return problems;
    }
    const url = installerUrl(cluster);
    if (url.startsWith("https://") && !installerSha256(cluster)) {
        problems.push(
            `cluster.installScriptSha256: is required to run the installer from ${url}; review the script, then set its sha256 (curl -fsSL '${url}' | sha256sum), or use cluster.artifacts`,
        );
    }
    return problems;
}

export type NodeSpec = z.output<typeof nodeSchema>;
export type ClusterSpec = z.output<typeof clusterSchema>;

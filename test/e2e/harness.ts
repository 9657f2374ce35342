import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "../../scripts/charts/cache";
import { Call, parseCalls } from "./lib/calls";
import { UPSTREAM_INSTALLER, upstreamInstaller } from "./lib/installer";
import { serviceCharts } from "./lib/serviceCharts";

/** The repository the program under test lives in (this checkout). */
export const REPO = path.resolve(__dirname, "..", "..");
const LIB = path.join(__dirname, "lib");
const K3S_STUB = path.join(__dirname, "fixtures", "k3s-stub.sh");

export const K3S_VERSION = "v1.33.5+k3s1";
/** cluster.timeouts.readySeconds in the e2e stack. */
export const READY_SECONDS = 20;

export { serviceCharts };

export interface HarnessNode {
    name: string;
    role: "server" | "agent";
    labels?: Record<string, string>;
    /**
     * The SSH login (cluster.nodes[].user). Default root; any other name is a
     * non-root account with passwordless sudo that exists only inside the
     * node (test/e2e/lib/nodes.sh), and root cannot log in there.
     */
    user?: string;
}

export interface NodeEndpoint extends HarnessNode {
    port: number;
    /** `ssh-ed25519 AAAA…`: the pin for cluster.nodes[].hostKey. */
    hostKey: string;
    /** The node's private directories, e.g. `root/etc-rancher`. */
    root: string;
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

/**
 * The PATH to run with (test/e2e/lib/toolchain-env.sh: the toolchain), or
 * why there is none. Notes the script prints on stderr are passed on.
 */
export function toolchain(): { ok: true; path: string; notes: string } | { ok: false; why: string } {
    const r = spawnSync("bash", [path.join(LIB, "toolchain-env.sh")], { encoding: "utf8" });
    if (r.status !== 0) return { ok: false, why: (r.stderr || r.stdout).trim() || `toolchain-env.sh exited ${r.status}` };
    return { ok: true, path: r.stdout.trim(), notes: r.stderr.trim() };
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutSeconds?: number } = {}): RunResult {
    const started = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
        encoding: "utf8",
        env: opts.env ?? process.env,
        input: opts.input,
        cwd: opts.cwd,
        maxBuffer: 256 * 1024 * 1024,
        timeout: (opts.timeoutSeconds ?? 900) * 1000,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stderr = (r.stderr ?? "") + (r.error ? `\n${r.error.message}` : "");
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr, seconds };
}

function must(r: RunResult, what: string): RunResult {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${errorLines(r.stdout + "\n" + r.stderr)}`);
    return r;
}

/** The engine's error diagnostics (each with the resource it is about), else the output's tail. */
export function errorLines(text: string): string {
    const lines = text.split("\n");
    const picked: string[] = [];
    lines.forEach((l, i) => {
        if (/^\s*error: /.test(l) && !/error: update failed|error: preview failed/.test(l)) {
            const owner = [...lines.slice(0, i)].reverse().find((x) => /^\s{2}\S.*\(.*\):\s*$/.test(x));
            picked.push(`${owner?.trim() ?? ""} ${lines.slice(i, i + 4).join(" ").replace(/\s+/g, " ").trim()}`);
        }
    });
    return picked.length > 0 ? [...new Set(picked)].join("\n") : tail(text, 40);
}

export function tail(text: string, lines: number): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Everything an e2e run needs, on loopback only: etcd + kube-apiserver, SSH
 * nodes (one sshd each, private mount namespaces), the real k3s installer in
 * artifact mode with the k3s/systemctl/journalctl stubs and their call log,
 * a local chart repository serving the upstream charts (when charts are
 * asked for) with the hook-Job completer (lib/hookjobs.sh), and a
 * Pulumi file backend with the program's stack file placed in the repository
 * for the run. `stop()` undoes all of it and is safe to call twice.
 */
export class Harness {
    readonly dir: string;
    readonly stack: string;
    readonly env: NodeJS.ProcessEnv;
    nodes: NodeEndpoint[] = [];
    apiPort = 0;
    chartRepoUrl?: string;
    private installer?: { path: string; sha256: string };
    private started = { apiserver: false, nodes: false, charts: false, hooks: false, stack: false };
    private readonly stackFile: string;

    constructor(
        readonly opts: { stack: string; toolchainPath: string; nodes: HarnessNode[]; installSleep?: number; charts?: string[]; keep?: boolean },
    ) {
        this.stack = opts.stack;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `picluster-${opts.stack}-`));
        this.stackFile = path.join(REPO, `Pulumi.${opts.stack}.yaml`);
        const home = path.join(this.dir, "pulumi-home");
        fs.mkdirSync(path.join(this.dir, "state"), { recursive: true });
        fs.mkdirSync(home, { recursive: true });
        this.env = {
            ...process.env,
            PATH: opts.toolchainPath,
            PULUMI_HOME: process.env.E2E_PULUMI_HOME ?? home,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "picluster-e2e-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            // Types are checked by `npm test`; the engine only needs JavaScript.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "1",
            NO_COLOR: "1",
        };
    }

    /** Starts the API server, the nodes and (if asked) the chart repository. */
    start(): void {
        if (fs.existsSync(this.stackFile)) {
            throw new Error(`${this.stackFile} exists: another e2e run is using stack ${this.stack}, or an interrupted one left it behind (remove it)`);
        }
        const api = path.join(this.dir, "apiserver");
        this.started.apiserver = true;
        must(run("bash", [path.join(LIB, "apiserver.sh"), "start", api], { env: this.env }), "starting etcd + kube-apiserver");
        this.apiPort = Number(fs.readFileSync(path.join(api, "port"), "utf8").trim());

        // Artifact mode: the real install.sh (from the cache; no fallback) and
        // a k3s stub per version, with the stubs' settings, side by side.
        const installer = upstreamInstaller();
        const inst = path.join(this.dir, "installer");
        fs.mkdirSync(inst);
        fs.copyFileSync(installer.path, path.join(inst, "install.sh"));
        this.installer = { path: path.join(inst, "install.sh"), sha256: installer.sha256 };
        console.log(
            `k3s installer: upstream install.sh from ${installer.path}, sha256 ${installer.sha256} ` +
                (installer.known ? `(${UPSTREAM_INSTALLER.repo}@${UPSTREAM_INSTALLER.commit.slice(0, 7)})` : `(not the copy docs/e2e.md records: ${UPSTREAM_INSTALLER.sha256})`) +
                `, artifact mode; stubs: k3s binary, systemctl, journalctl (docs/e2e.md)`,
        );
        this.setInstallSleep(this.opts.installSleep ?? 0);

        this.started.nodes = true;
        const nodeArgs = this.opts.nodes.map((n) => (n.user && n.user !== "root" ? `${n.name}:${n.user}` : n.name));
        must(run("bash", [path.join(LIB, "nodes.sh"), "start", this.dir, ...nodeArgs], { env: this.env }), "starting the SSH nodes");
        this.nodes = this.opts.nodes.map((n) => {
            const d = path.join(this.dir, "nodes", n.name);
            return {
                ...n,
                port: Number(fs.readFileSync(path.join(d, "port"), "utf8").trim()),
                hostKey: fs.readFileSync(path.join(d, "host_key.pin"), "utf8").trim(),
                root: path.join(d, "root"),
            };
        });

        // Go programs (the engine's plugins) trust the test CA through SSL_CERT_FILE.
        const bundle = path.join(this.dir, "ca-bundle.crt");
        const system = fs.existsSync("/etc/ssl/certs/ca-certificates.crt") ? fs.readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8") : "";
        fs.writeFileSync(bundle, system + "\n" + fs.readFileSync(path.join(api, "pki", "ca.crt"), "utf8"));
        this.env.SSL_CERT_FILE = bundle;

        if (this.opts.charts && this.opts.charts.length > 0) {
            const charts = path.join(this.dir, "charts");
            this.started.charts = true;
            // The packaged upstream charts from the chart cache (docs/charts.md); a
            // chart not in the cache, or a pinned version never published, fails here.
            must(run("bash", [path.join(LIB, "chartrepo.sh"), "upstream", charts, cacheDir(), ...this.opts.charts], { env: this.env }), "copying the upstream charts");
            must(run("bash", [path.join(LIB, "chartrepo.sh"), "start", charts, path.join(api, "pki")], { env: this.env }), "starting the chart repository");
            this.chartRepoUrl = fs.readFileSync(path.join(charts, "url"), "utf8").trim() + "/";
            // Helm waits for its hook Jobs to complete, and no pod runs here.
            this.started.hooks = true;
            must(run("bash", [path.join(LIB, "hookjobs.sh"), "start", path.join(this.dir, "hooks"), path.join(api, "kubeconfig")], { env: this.env }), "starting the hook-Job completer");
            console.log(`charts: upstream packages from ${cacheDir()} (${this.opts.charts.join(", ")}); hook Jobs completed by test/e2e/lib/hookjobs.sh (docs/e2e.md)`);
        }
    }

    /** The hook Jobs lib/hookjobs.sh marked complete so far: `namespace/name hook-kinds`. */
    hookJobs(): string[] {
        const log = path.join(this.dir, "hooks", "hookjobs.log");
        return fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    }

    /** Helm's own record of every release (`helm list -A`, read from its sh.helm.release.v1 Secrets). */
    helmReleases(): { name: string; namespace: string; status: string; chart: string; revision: string }[] {
        const r = must(run("helm", ["list", "-A", "-a", "-o", "json", "--kubeconfig", path.join(this.dir, "apiserver", "kubeconfig")], { env: this.env }), "helm list");
        return JSON.parse(r.stdout) as { name: string; namespace: string; status: string; chart: string; revision: string }[];
    }

    /** Seconds the k3s stub takes to start (read by the stub on every start). */
    setInstallSleep(seconds: number): void {
        const kubectl = run("bash", ["-c", "command -v kubectl"], { env: this.env }).stdout.trim();
        const api = path.join(this.dir, "apiserver");
        const settings = {
            E2E_KUBECTL: kubectl,
            E2E_KUBECONFIG: path.join(api, "kubeconfig"),
            E2E_PKI: path.join(api, "pki"),
            E2E_API_PORT: String(this.apiPort),
            E2E_LOG: path.join(this.dir, "calls.log"),
            E2E_STATE: path.join(this.dir, "cluster"),
            E2E_INSTALL_SLEEP: String(seconds),
        };
        fs.writeFileSync(
            path.join(this.dir, "installer", "harness.env"),
            Object.entries(settings)
                .map(([k, v]) => `${k}='${v}'`)
                .join("\n") + "\n",
        );
    }

    /** The k3s stub for `version` (one file per version, so its sha256 changes with it). */
    k3sArtifact(version: string): { path: string; sha256: string } {
        const file = path.join(this.dir, "installer", `k3s-${version}`);
        const text = fs
            .readFileSync(K3S_STUB, "utf8")
            .replace("@K3S_VERSION@", version)
            .replace("@HARNESS_ENV@", path.join(this.dir, "installer", "harness.env"));
        fs.writeFileSync(file, text, { mode: 0o755 });
        return { path: file, sha256: crypto.createHash("sha256").update(text).digest("hex") };
    }

    /** `cluster.artifacts`: the real installer and the k3s stub for `version`. */
    artifacts(version: string): Record<string, unknown> {
        if (!this.installer) throw new Error("the harness is not started");
        return { installScript: this.installer, k3s: { amd64: this.k3sArtifact(version) } };
    }

    /** Stops and restarts one node's sshd (its files stay). */
    stopNode(name: string): void {
        must(run("bash", [path.join(LIB, "nodes.sh"), "stop", this.dir, name]), `stopping node ${name}`);
    }
    startNode(name: string): void {
        must(run("bash", [path.join(LIB, "nodes.sh"), "start", this.dir, name], { env: this.env }), `starting node ${name}`);
    }

    node(name: string): NodeEndpoint {
        const n = this.nodes.find((x) => x.name === name);
        if (!n) throw new Error(`no e2e node ${name}`);
        return n;
    }

    /** Everything the nodes logged so far. */
    calls(): Call[] {
        const file = path.join(this.dir, "calls.log");
        return fs.existsSync(file) ? parseCalls(fs.readFileSync(file, "utf8")) : [];
    }

    /** SSH logins each node's sshd accepted so far. */
    sshLogins(): Record<string, number> {
        return Object.fromEntries(Object.entries(this.sshLoginUsers()).map(([n, users]) => [n, users.length]));
    }

    /** The user of every SSH login each node's sshd accepted so far, in order. */
    sshLoginUsers(): Record<string, string[]> {
        const out: Record<string, string[]> = {};
        for (const n of this.nodes) {
            const log = path.join(this.dir, "nodes", n.name, "sshd.log");
            const text = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
            out[n.name] = text
                .split("\n")
                .map((l) => /Accepted publickey for (\S+) /.exec(l)?.[1])
                .filter((u): u is string => u !== undefined);
        }
        return out;
    }

    /** kubectl against the test API server as cluster-admin. */
    kubectl(args: string[], input?: string): RunResult {
        return this.kubectlWith(path.join(this.dir, "apiserver", "kubeconfig"), args, input);
    }

    /** kubectl with another kubeconfig file (e.g. one the stack exports). */
    kubectlWith(kubeconfig: string, args: string[], input?: string): RunResult {
        return run("kubectl", ["--kubeconfig", kubeconfig, ...args], { env: this.env, input, timeoutSeconds: 60 });
    }

    kubectlJson<T = { items: Record<string, unknown>[] }>(args: string[]): T {
        return JSON.parse(must(this.kubectl([...args, "-o", "json"]), `kubectl ${args.join(" ")}`).stdout) as T;
    }

    /** Runs the Pulumi CLI on the program in this repository and the harness's stack. */
    pulumi(args: string[], opts: { input?: string; timeoutSeconds?: number } = {}): RunResult {
        return run("pulumi", ["--non-interactive", "--color=never", "-C", REPO, ...args], { env: this.env, input: opts.input, timeoutSeconds: opts.timeoutSeconds });
    }

    /** `pulumi <args> --stack <stack>`; throws with the output's tail on failure. */
    pulumiOk(args: string[], opts: { input?: string; timeoutSeconds?: number } = {}): RunResult {
        return must(this.pulumi([...args, "--stack", this.stack], opts), `pulumi ${args.join(" ")}`);
    }

    /**
     * Creates the stack: passphrase secrets, the SSH key set with
     * `pulumi config set --secret` (read from stdin, never in argv), and the
     * cluster declared for the harness's nodes.
     */
    initStack(cluster: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
        this.started.stack = true;
        must(this.pulumi(["stack", "init", this.stack, "--secrets-provider", "passphrase"]), "pulumi stack init");
        const key = fs.readFileSync(path.join(this.dir, "client_key"), "utf8");
        this.pulumiOk(["config", "set", "--secret", "picluster:sshPrivateKey"], { input: key });
        // Services never default to their public chart repositories: the
        // suite must not send traffic off this machine.
        const services = this.chartRepoUrl
            ? this.servicesConfig()
            : Object.fromEntries(["ollama", "postgres", "rocketchat", "monitoring"].map((s) => [s, { enabled: false }]));
        this.editConfig((c) => {
            c["picluster:cluster"] = cluster;
            c["picluster:services"] = services;
            for (const [k, v] of Object.entries(extra)) c[`picluster:${k}`] = v;
        });
    }

    /** The cluster block for the harness's nodes (1 server + agents, artifact mode). */
    clusterConfig(): Record<string, unknown> {
        return {
            k3sVersion: K3S_VERSION,
            apiEndpoint: `127.0.0.1:${this.apiPort}`,
            artifacts: this.artifacts(K3S_VERSION),
            // Short enough that a refused join fails the step quickly; the stub starts in seconds.
            timeouts: { readySeconds: READY_SECONDS },
            prepare: false,
            preflight: { minFreeDiskMiB: 512 },
            nodes: this.nodes.map((n) => ({
                name: n.name,
                host: "127.0.0.1",
                sshPort: n.port,
                user: n.user ?? "root",
                role: n.role,
                arch: "amd64",
                hostKey: n.hostKey,
                labels: n.labels ?? {},
                // Room for every service's requests: the capacity check runs for real.
                capacity: { cpu: 16, memory: "64Gi" },
            })),
        };
    }

    /**
     * Every platform service on, its chart from the local repository, no
     * waiting for readiness (no kubelet runs pods), Ollama pulling no model.
     */
    servicesConfig(): Record<string, unknown> {
        if (!this.chartRepoUrl) throw new Error("servicesConfig needs the chart repository (start the harness with charts)");
        const repo = this.chartRepoUrl;
        return {
            skipAwait: true,
            ollama: { enabled: true, repo, models: [] },
            postgres: {
                enabled: true,
                repo,
                databases: [{ name: "e2e" }],
                // The operator's webhooks (failurePolicy Fail upstream) are served by its
                // pod, which never runs here: every Cluster would be refused with "no
                // endpoints". Ignore lets the real CRD schema alone judge it (docs/e2e.md).
                operatorValues: { webhook: { mutating: { failurePolicy: "Ignore" }, validating: { failurePolicy: "Ignore" } } },
            },
            rocketchat: { enabled: true, repo },
            monitoring: { enabled: true, repo },
        };
    }

    /** The agent-host pool and the worker-agent templates, small. */
    static agentsConfig(maxReplicas = 2): Record<string, unknown> {
        return {
            agentHost: {
                enabled: true,
                image: "registry.lan/rustic-ai/agent-host:0.1.0",
                minReplicas: 1,
                maxReplicas,
            },
            workerAgents: {
                enabled: true,
                // Its token Secret is filled by the controller manager's
                // token controller (test/e2e/lib/apiserver.sh runs it).
                issueOrchestratorKubeconfig: true,
                templates: [
                    {
                        name: "code-reviewer",
                        image: "registry.lan/agents/code-reviewer:0.1.0",
                        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
                        activeDeadlineSeconds: 600,
                        ollama: true,
                    },
                ],
            },
        };
    }

    /** Edits the stack's config file in place (secure values and the salt are kept). */
    editConfig(edit: (config: Record<string, unknown>) => void): void {
        const doc = (yaml.load(fs.readFileSync(this.stackFile, "utf8")) as { config?: Record<string, unknown> }) ?? {};
        doc.config = doc.config ?? {};
        edit(doc.config);
        fs.writeFileSync(this.stackFile, yaml.dump(doc, { lineWidth: -1 }));
    }

    editCluster(edit: (cluster: { k3sVersion: string; nodes: { name: string; labels: Record<string, string> }[] } & Record<string, unknown>) => void): void {
        this.editConfig((c) => {
            const cluster = c["picluster:cluster"] as { k3sVersion: string; artifacts?: unknown };
            edit(cluster as never);
            // A new k3sVersion comes with its binary, as a user's would.
            if (cluster.artifacts) cluster.artifacts = this.artifacts(cluster.k3sVersion);
        });
    }

    /** Stops everything started and removes the stack file; keeps the temp dir with E2E_KEEP=1. */
    stop(): void {
        if (this.started.stack) {
            if (this.opts.keep) fs.copyFileSync(this.stackFile, path.join(this.dir, path.basename(this.stackFile)));
            else this.pulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
            fs.rmSync(this.stackFile, { force: true });
            this.started.stack = false;
        }
        if (this.started.hooks) run("bash", [path.join(LIB, "hookjobs.sh"), "stop", path.join(this.dir, "hooks")]);
        if (this.started.charts) run("bash", [path.join(LIB, "chartrepo.sh"), "stop", path.join(this.dir, "charts")]);
        if (this.started.nodes) run("bash", [path.join(LIB, "nodes.sh"), "stop", this.dir]);
        if (this.started.apiserver) run("bash", [path.join(LIB, "apiserver.sh"), "stop", path.join(this.dir, "apiserver")]);
        this.started = { apiserver: false, nodes: false, charts: false, hooks: false, stack: false };
        if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

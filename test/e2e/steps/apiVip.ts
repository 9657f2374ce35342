/**
 * e2e steps of the API's virtual IP (issue #26): three servers and an agent
 * behind `cluster.apiVip`. The VIP is 127.0.0.2; a TCP forwarder to the API
 * server stands in for kube-vip's announcement (the k3s stub runs no pods,
 * and loopback needs no ARP: docs/e2e.md lists what only hardware proves).
 * run.ts calls `apiVipSteps` with its own `step` and `check`; it runs on a
 * harness of its own. `npx tsx test/e2e/steps/apiVip.ts` runs it alone.
 */
import { runAlone } from "./alone";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { changes } from "../drift";
import { Harness, REPO, run } from "../harness";
import type { Check, Step } from "./common";

const VIP = "127.0.0.2";
const SERVERS = ["e2e-v-server-1", "e2e-v-server-2", "e2e-v-server-3"];
const AGENT = "e2e-v-agent-1";

type Obj = Record<string, any>;

/** Accepts on VIP:port and pipes to the API server on 127.0.0.1:port, counting connections: kube-vip's part. */
function startAnnouncer(dir: string, port: number): { child: ChildProcess; connections: () => number } {
    const log = path.join(dir, "vip-connections");
    fs.writeFileSync(log, "");
    const script = `
        const net = require("net"), fs = require("fs");
        net.createServer((c) => {
            fs.appendFileSync(${JSON.stringify(log)}, "c\\n");
            const up = net.connect(${port}, "127.0.0.1");
            c.pipe(up).pipe(c);
            c.on("error", () => up.destroy()); up.on("error", () => c.destroy());
        }).listen(${port}, ${JSON.stringify(VIP)}, () => fs.appendFileSync(${JSON.stringify(log)}, ""));`;
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore", detached: true });
    child.unref();
    return { child, connections: () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length };
}

/** Waits until something accepts on VIP:port (the forwarder has started). */
function waitListening(port: number): void {
    for (let i = 0; i < 50; i++) {
        if (run("bash", ["-c", `exec 3<>/dev/tcp/${VIP}/${port}`]).code === 0) return;
        run("sleep", ["0.1"]);
    }
    throw new Error(`nothing listens on ${VIP}:${port}`);
}

const configOf = (h: Harness, node: string) => yaml.load(fs.readFileSync(path.join(h.node(node).root, "etc-rancher", "k3s", "config.yaml"), "utf8")) as Obj;
const manifestFile = (h: Harness) => path.join(h.node(SERVERS[0]).root, "var-lib-rancher", "k3s", "server", "manifests", "picluster-kube-vip.yaml");

/** The stack's kubeconfig output, saved 0600 in the harness's directory. */
function exportKubeconfig(h: Harness, name: string): { file: string; server: string } {
    const file = path.join(h.dir, name);
    const text = h.pulumiOk(["stack", "output", "kubeconfig", "--show-secrets"]).stdout;
    fs.writeFileSync(file, text, { mode: 0o600 });
    return { file, server: (yaml.load(text) as Obj).clusters[0].cluster.server };
}

/** Every node's `server:` (the first server has none) and every server's tls-san, as the nodes hold them. */
function joinsName(h: Harness, check: Check, server: string | undefined, vipInSans: boolean): void {
    check(configOf(h, SERVERS[0]).server === undefined, `${SERVERS[0]} (the first server) joins nothing, yet its config names ${configOf(h, SERVERS[0]).server}`);
    for (const n of [...SERVERS.slice(1), AGENT]) check(configOf(h, n).server === server, `${n}'s config.yaml server: ${configOf(h, n).server}, expected ${server}`);
    for (const n of SERVERS) {
        const sans = configOf(h, n)["tls-san"] as string[];
        check(sans.includes(VIP) === vipInSans, `${n}'s tls-san [${sans.join(", ")}] ${vipInSans ? "lacks" : "still holds"} ${VIP}`);
    }
}

export function apiVipSteps(toolchainPath: string, step: Step, check: Check): void {
    const h = new Harness({
        stack: `${process.env.E2E_STACK ?? "e2e"}-vip`,
        toolchainPath,
        keep: process.env.E2E_KEEP === "1",
        nodes: [...SERVERS.map((name) => ({ name, role: "server" as const })), { name: AGENT, role: "agent" as const }],
    });
    let announcer: ReturnType<typeof startAnnouncer> | undefined;
    const up = () => h.pulumiOk(["up", "--yes", "--skip-preview"]);
    const withVip = (c: Record<string, unknown>) => ({ ...c, lanCidr: "127.0.0.0/8", apiVip: VIP, apiEndpoint: `${VIP}:${h.apiPort}` });
    try {
        const cold = step("v1. cold up with cluster.apiVip on 3 servers + 1 agent: the first server boots on its own address, every join and the kubeconfig name the VIP", () => {
            h.start();
            announcer = startAnnouncer(h.dir, h.apiPort);
            waitListening(h.apiPort);
            h.initStack(withVip(h.clusterConfig()));
            const r = up();
            const ready = h.kubectlJson<{ items: Obj[] }>(["get", "nodes"]).items.filter((n) => n.status?.conditions?.some((c: Obj) => c.type === "Ready" && c.status === "True"));
            check(ready.length === 4, `${ready.length} of 4 Nodes Ready`);
            joinsName(h, check, `https://${VIP}:${h.apiPort}`, true);
            const joinsThrough = announcer.connections();
            check(joinsThrough >= 4, `${joinsThrough} connections reached the VIP; the wait and three joins make at least 4`);
            // kube-vip's manifest on the first server only, root-only, naming the VIP; the real API server admits it.
            const manifest = manifestFile(h);
            check(fs.existsSync(manifest) && (fs.statSync(manifest).mode & 0o777) === 0o600, `${manifest} is missing or not 0600`);
            for (const n of SERVERS.slice(1)) check(!fs.existsSync(manifest.replace(SERVERS[0], n)), `${n} holds a kube-vip manifest`);
            const ds = (yaml.loadAll(fs.readFileSync(manifest, "utf8")) as Obj[]).find((o) => o.kind === "DaemonSet") as Obj;
            check(ds.spec.template.spec.containers[0].env.some((e: Obj) => e.name === "address" && e.value === VIP), "kube-vip's DaemonSet does not announce the VIP");
            const admitted = h.kubectl(["apply", "--dry-run=server", "-f", manifest]);
            check(admitted.code === 0, `the API server refuses kube-vip's manifest: ${admitted.stderr.trim()}`);
            const kc = exportKubeconfig(h, "kubeconfig-vip");
            check(kc.server === `https://${VIP}:${h.apiPort}`, `the kubeconfig names ${kc.server}`);
            const via = h.kubectlWith(kc.file, ["get", "nodes", "-o", "name"]);
            check(via.code === 0 && via.stdout.split("\n").filter(Boolean).length === 4, `kubectl through the VIP: ${via.stderr.trim()}`);
            return `up ${r.seconds.toFixed(1)} s; joins of ${[...SERVERS.slice(1), AGENT].join(", ")} name https://${VIP}:${h.apiPort}; ${joinsThrough} connections through the VIP; kube-vip's manifest admitted (dry run)`;
        });
        if (!cold) return;

        step("v2. npm run kubeconfig merges the stack's context beside another, 0600, current-context kept", () => {
            const file = path.join(h.dir, "user-kubeconfig");
            fs.writeFileSync(file, yaml.dump({ apiVersion: "v1", kind: "Config", clusters: [{ name: "work", cluster: { server: "https://work.example:6443" } }], users: [{ name: "work", user: { token: "w" } }], contexts: [{ name: "work", context: { cluster: "work", user: "work" } }], "current-context": "work" }), { mode: 0o644 });
            const r = run(path.join(REPO, "node_modules", ".bin", "tsx"), [path.join(REPO, "scripts", "kubeconfig.ts"), h.stack, "--kubeconfig", file], { env: h.env, cwd: REPO });
            check(r.code === 0, `npm run kubeconfig failed: ${r.stderr.trim()}`);
            const token = (yaml.load(fs.readFileSync(path.join(h.dir, "kubeconfig-vip"), "utf8")) as Obj).users[0].user.token as string;
            check(!(r.stdout + r.stderr).includes(token), "npm run kubeconfig printed the credential");
            const doc = yaml.load(fs.readFileSync(file, "utf8")) as Obj;
            const context = `picluster-${h.stack}`;
            check((fs.statSync(file).mode & 0o777) === 0o600, "the merged kubeconfig is not 0600");
            check(JSON.stringify(doc.contexts.map((c: Obj) => c.name)) === JSON.stringify(["work", context]), `contexts: ${doc.contexts.map((c: Obj) => c.name).join(", ")}`);
            check(doc["current-context"] === "work", `current-context moved to ${doc["current-context"]}`);
            const via = h.kubectlWith(file, ["--context", context, "get", "nodes", "-o", "name"]);
            check(via.code === 0, `kubectl --context ${context}: ${via.stderr.trim()}`);
            return r.stdout.trim().split("\n")[0];
        });

        step("v3. apiVip removed: the preview names each node's config and the VIP steps; the nodes join by the first server's address again", () => {
            h.editCluster((c) => {
                delete c.apiVip;
                delete c.lanCidr;
                c.apiEndpoint = `127.0.0.1:${h.apiPort}`;
            });
            const planned = changes(h.pulumiOk(["preview", "--json"]).stdout);
            for (const n of [...SERVERS, AGENT]) check(planned.changed.includes(`update ${n}-install`), `the preview does not update ${n}'s config: [${planned.changed.join(", ")}]`);
            check(planned.changed.includes("delete cluster-kube-vip") && planned.changed.includes("delete cluster-api-vip"), `the preview keeps the VIP steps: [${planned.changed.join(", ")}]`);
            up();
            joinsName(h, check, `https://127.0.0.1:${h.apiPort}`, false);
            check(!fs.existsSync(manifestFile(h)), "kube-vip's manifest is still on the first server");
            return `preview: ${planned.changed.join(", ")}`;
        });

        step("v4. moving to the VIP: the preview names what changes (each node's server:, the VIP steps, the provider; no Kubernetes object replaced); the credential keeps working", () => {
            const before = exportKubeconfig(h, "kubeconfig-address");
            h.editCluster((c) => Object.assign(c, withVip({})));
            const planned = changes(h.pulumiOk(["preview", "--json"]).stdout);
            for (const n of [...SERVERS, AGENT]) check(planned.changed.includes(`update ${n}-install`), `the preview does not update ${n}'s config: [${planned.changed.join(", ")}]`);
            check(planned.changed.includes("create cluster-kube-vip") && planned.changed.includes("create cluster-api-vip"), `the preview lacks the VIP steps: [${planned.changed.join(", ")}]`);
            const replaced = planned.kubernetes.filter((c) => !c.startsWith("update ") && !c.startsWith("same "));
            check(replaced.length === 0, `the move replaces or deletes Kubernetes objects: [${replaced.join(", ")}]`);
            // Objects the preview marks "update" (the provider's kubeconfig is unknown until the VIP answers) are not written.
            const version = () => h.kubectl(["-n", "kube-system", "get", "configmap", "picluster-owner", "-o", "jsonpath={.metadata.resourceVersion}"]).stdout.trim();
            const owner = version();
            up();
            check(owner !== "" && version() === owner, `the move rewrote the owner ConfigMap (resourceVersion ${owner} → ${version()})`);
            joinsName(h, check, `https://${VIP}:${h.apiPort}`, true);
            const after = exportKubeconfig(h, "kubeconfig-moved");
            check(after.server === `https://${VIP}:${h.apiPort}` && before.server === `https://127.0.0.1:${h.apiPort}`, `kubeconfig server ${before.server} → ${after.server}`);
            for (const kc of [before, after]) {
                const r = h.kubectlWith(kc.file, ["get", "nodes", "-o", "name"]);
                check(r.code === 0, `the kubeconfig naming ${kc.server} no longer works: ${r.stderr.trim()}`);
            }
            const token = (f: string) => (yaml.load(fs.readFileSync(f, "utf8")) as Obj).users[0].user.token;
            check(token(before.file) === token(after.file), "the move changed the admin credential");
            return `preview: ${planned.changed.join(", ")}; no Kubernetes object rewritten (owner ConfigMap ${owner}); the same token works through ${before.server} and ${after.server}`;
        });
    } finally {
        if (announcer?.child.pid) {
            try {
                process.kill(announcer.child.pid);
            } catch {
                /* already gone */
            }
        }
        h.stop();
    }
}

// Alone: `npx tsx test/e2e/steps/apiVip.ts` (as root, with the toolchain).
if (require.main === module) runAlone(apiVipSteps);

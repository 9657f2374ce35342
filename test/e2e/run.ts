/**
 * End-to-end scenario: the real Pulumi engine runs this repository's program
 * against three SSH nodes and a real kube-apiserver, all on loopback (see
 * docs/e2e.md). Each step prints its result and wall time; the last line is
 * `N passed, M failed`, and the exit status is non-zero on any failure.
 *
 *   npm run test:e2e            (E2E_KEEP=1 keeps the temp dir for debugging)
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { Call, isK3sRestart, kubectlTarget, mutatingCalls, rollingUpgradeProblems } from "./lib/calls";
import { batchStep, changes, driftSteps, repairGenerations } from "./drift";
import { renderRegistriesYaml } from "../../components/cluster/install/registriesFile";
import { registriesSchema } from "../../config/schema/registries";
import { mismatches, pluginVersions } from "./lib/plugins";
import { Harness, K3S_VERSION, READY_SECONDS, run, RunResult, serviceCharts, tail, toolchain } from "./harness";
import { agentsHoldNoServerToken, refusedJoinFailsBounded } from "./installerSteps";
import { credentialRotationStep, postgresDrainSteps, restoreDryRunStep } from "./dataSteps";
import { chartCacheProblem, checkCharts, checkChartsRemoved, ChartSnapshot } from "./chartSteps";

const NEXT_VERSION = "v1.33.6+k3s1";
/** The version of the upgrade with postgres on the drained agent (dataSteps.ts). */
const LAST_VERSION = "v1.33.7+k3s1";
const SERVER = "e2e-server-1";
const AGENT1 = "e2e-agent-1";
const AGENT2 = "e2e-agent-2";
/** AGENT2's login: not root, passwordless sudo (every other node logs in as root). */
const SUDO_LOGIN = "pi-e2e";
const LOGIN: Record<string, string> = { [SERVER]: "root", [AGENT1]: "root", [AGENT2]: SUDO_LOGIN };
/** workerAgents.namespace's default; the policy and the orchestrator's Role live there. */
const WORKER_NS = "worker-agents";
const TEMPLATE = "code-reviewer";

/** The CLI's report that the picluster pack ran: "picluster@v0.1.0" (with findings) or the "Policy Packs run" table. */
const PACK_RAN = /picluster@v[\d.]+|picluster\|local\|\S+\s+[\d.]+/;

class StepFailure extends Error {}
function check(ok: boolean, message: string): asserts ok {
    if (!ok) throw new StepFailure(message);
}

interface JobManifest {
    metadata: { name: string; namespace?: string };
    spec: {
        activeDeadlineSeconds?: number;
        template: { spec: { restartPolicy?: string; containers: { resources?: unknown }[] } };
    };
}

interface NodeObject {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: { type: string; status: string }[] };
}

const results: { name: string; ok: boolean; seconds: number; detail: string }[] = [];

/**
 * Installer and uninstaller calls that did not run as root through
 * `sudo -n` from the node's own login (root nodes: sudo from root; AGENT2:
 * sudo from SUDO_LOGIN).
 */
function sudoProblems(calls: Call[]): string[] {
    return calls
        .filter((c) => c.event === "install" || c.event === "uninstall" || isK3sRestart(c, c.node))
        .filter((c) => c.fields.user !== "root" || c.fields.sudo_user !== LOGIN[c.node])
        .map((c) => `${c.node} ${c.event} ran as ${c.fields.user} via sudo from '${c.fields.sudo_user ?? ""}', expected root via sudo from ${LOGIN[c.node]}: ${c.line}`);
}

/** Asserts the installer calls and k3s restarts ran through sudo and that AGENT2 took part with `events` ("restart": of its k3s unit). */
function checkSudo(calls: Call[], events: string[]): string {
    const problems = sudoProblems(calls);
    check(problems.length === 0, problems.join("\n"));
    for (const e of events) {
        const found = calls.some((c) => (e === "restart" ? isK3sRestart(c, AGENT2) : c.node === AGENT2 && c.event === e));
        check(found, `no ${e} on ${AGENT2} (the sudo node) in:\n${calls.map((c) => c.line).join("\n")}`);
    }
    return `${AGENT2} ${events.join(" + ")} as root via sudo from ${SUDO_LOGIN}`;
}

/** The stderr of a kubectl call that must have been refused by the API server as forbidden. */
function forbidden(r: RunResult, what: string): string {
    check(r.code !== 0, `${what} was allowed:\n${r.stdout.trim()}`);
    check(/Forbidden|forbidden/.test(r.stderr), `${what} failed, but not as forbidden: ${r.stderr.trim()}`);
    return r.stderr.trim();
}

function step(name: string, body: () => string | void): boolean {
    const started = Date.now();
    let ok = true;
    let detail = "";
    try {
        detail = body() ?? "";
    } catch (e) {
        ok = false;
        detail = e instanceof StepFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
    const seconds = (Date.now() - started) / 1000;
    results.push({ name, ok, seconds, detail });
    const head = `${ok ? "PASS" : "FAIL"}  ${name}  (${seconds.toFixed(1)} s)`;
    console.log(detail ? `${head}\n      ${detail.split("\n").join("\n      ")}` : head);
    return ok;
}

function main(): number {
    const tc = toolchain();
    if (!tc.ok) {
        console.log(`e2e: the toolchain is not available, nothing was run:\n${tc.why}`);
        console.log("0 passed, 1 failed");
        return 1;
    }
    if (tc.notes) console.log(tc.notes);
    const charts = chartCacheProblem(serviceCharts());
    if (charts) {
        console.log(`e2e: ${charts}; nothing was run`);
        console.log("0 passed, 1 failed");
        return 1;
    }
    step("toolchain: the CLI, the language host and every provider plugin report the version package.json pins", () => {
        const found = pluginVersions(tc.path);
        const bad = mismatches(found);
        check(bad.length === 0, bad.join("\n"));
        return found.map((p) => `${p.binary} ${p.version} = ${p.pin} ${p.pinned}  (${p.path})`).join("\n");
    });
    const h = new Harness({
        stack: process.env.E2E_STACK ?? "e2e",
        toolchainPath: tc.path,
        keep: process.env.E2E_KEEP === "1",
        charts: serviceCharts(),
        nodes: [
            { name: SERVER, role: "server", labels: { "picluster.io/tier": "control-plane" } },
            { name: AGENT1, role: "agent", labels: { "picluster.io/tier": "worker" } },
            { name: AGENT2, role: "agent", labels: { "picluster.io/tier": "worker" }, user: SUDO_LOGIN },
        ],
    });
    const cleanup = () => h.stop();
    process.on("SIGINT", () => {
        cleanup();
        process.exit(130);
    });
    process.on("SIGTERM", () => {
        cleanup();
        process.exit(143);
    });
    console.log(`e2e: working directory ${h.dir}`);
    try {
        scenario(h);
        readmeMainJob(h.dir, tc.path);
    } finally {
        if (h.opts.keep) console.log(`e2e: kept ${h.dir}`);
        cleanup();
    }
    batchStep(tc.path, step, check, K3S_VERSION, NEXT_VERSION);
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
}

function scenario(h: Harness): void {
    const nodes = () => h.kubectlJson<{ items: NodeObject[] }>(["get", "nodes"]).items;
    const nodeNamed = (name: string) => nodes().find((n) => n.metadata.name === name);
    const up = () => h.pulumiOk(["up", "--yes", "--skip-preview"]);
    const lastOf = (r: { stdout: string; stderr: string }) => tail(r.stdout + r.stderr, 30);

    if (
        !step("harness: etcd + kube-apiserver, 3 SSH nodes", () => {
            h.start();
            h.initStack(h.clusterConfig(), { services: h.servicesConfig(), ...Harness.agentsConfig() });
            return `API server 127.0.0.1:${h.apiPort}; nodes ${h.nodes.map((n) => `${n.name}@127.0.0.1:${n.port}`).join(", ")}`;
        })
    )
        return;

    let charts: ChartSnapshot | undefined;
    const okUp = step("a. pulumi up converges: 1 server + 2 agents, labels applied, every upstream chart deployed with the program's values", () => {
        const r = h.pulumiOk(["up", "--yes"]);
        const byName = new Map(nodes().map((n) => [n.metadata.name, n]));
        for (const n of h.nodes) {
            const obj = byName.get(n.name);
            check(obj !== undefined, `no Node object ${n.name} in the API server`);
            for (const [k, v] of Object.entries(n.labels ?? {})) {
                check(obj.metadata.labels?.[k] === v, `node ${n.name}: label ${k}=${obj.metadata.labels?.[k]}, declared ${v}`);
            }
            if (n.role === "agent") check(obj.metadata.labels?.["node-role.kubernetes.io/worker"] === "true", `agent ${n.name} lacks the worker role label`);
            check(obj.status?.nodeInfo?.kubeletVersion === K3S_VERSION, `node ${n.name} runs ${obj.status?.nodeInfo?.kubeletVersion}`);
        }
        const installs = h.calls().filter((c) => c.event === "install");
        check(installs.length === 3, `expected 3 installs, the log has ${installs.length}`);
        // Agents install while the first server starts (preinstall, once its
        // k3s runs), but k3s starts on them only once the server is up.
        const serverStart = h.calls().find((c) => c.event === "k3s-start" && c.node === SERVER)?.at ?? Infinity;
        const serverReady = h.calls().find((c) => c.event === "k3s-ready" && c.node === SERVER)?.at ?? Infinity;
        const agentInstallers = h.calls().filter((c) => c.event === "install-start" && c.node !== SERVER);
        check(agentInstallers.length === 2 && agentInstallers.every((c) => c.at > serverStart), "an agent's installer ran before the first server's k3s started");
        const agentStarts = h.calls().filter((c) => c.event === "k3s-start" && c.node !== SERVER);
        check(agentStarts.length === 2 && agentStarts.every((c) => c.at > serverReady), "an agent's k3s started before the first server was Ready");
        const cfg = path.join(h.node(AGENT1).root, "etc-rancher", "k3s", "config.yaml");
        check((fs.statSync(cfg).mode & 0o777) === 0o600, `${cfg} is not 0600`);
        // Every platform service's upstream chart is deployed, as Helm records it, with the program's values in its objects.
        charts = checkCharts(h, check);
        // The exported kubeconfig reaches the API server through apiEndpoint.
        const kc = path.join(h.dir, "exported-kubeconfig");
        fs.writeFileSync(kc, h.pulumiOk(["stack", "output", "kubeconfig", "--show-secrets"]).stdout, { mode: 0o600 });
        const viaExport = h.kubectlWith(kc, ["get", "node", SERVER, "-o", "name"]);
        check(viaExport.code === 0, `kubectl with the exported kubeconfig failed: ${viaExport.stderr.trim()}`);
        // The sudo node: every login as its user, pre-flight as that user
        // (its clock check ran unprivileged and its sudo check passed), the
        // install as root through sudo.
        const logins = h.sshLoginUsers();
        for (const n of h.nodes) {
            const wrong = logins[n.name].filter((u) => u !== LOGIN[n.name]);
            check(logins[n.name].length > 0 && wrong.length === 0, `${n.name}: SSH logins as [${logins[n.name].join(", ")}], expected only ${LOGIN[n.name]}`);
        }
        const clock = h.calls().filter((c) => c.event === "timedatectl" && c.node === AGENT2);
        check(clock.length > 0 && clock.every((c) => c.fields.user === SUDO_LOGIN), `${AGENT2}'s pre-flight clock checks ran as [${clock.map((c) => c.fields.user).join(", ")}], expected ${SUDO_LOGIN}`);
        const sudo = checkSudo(h.calls(), ["install"]);
        return `up ${r.seconds.toFixed(1)} s; nodes ${h.nodes.map((n) => n.name).join(", ")} Ready with declared labels;\n${charts.summary}\n${AGENT2} pre-flight as ${SUDO_LOGIN}, ${sudo}`;
    });
    if (!okUp) return;

    step("b. no-op: preview --expect-no-changes, second up runs no remote command", () => {
        const p = h.pulumiOk(["preview", "--expect-no-changes"]);
        const calls = h.calls().length;
        const logins = h.sshLogins();
        const u = up();
        const newCalls = h.calls().slice(calls);
        check(newCalls.length === 0, `second up ran on the nodes:\n${newCalls.map((c) => c.line).join("\n")}`);
        check(JSON.stringify(h.sshLogins()) === JSON.stringify(logins), `second up opened SSH sessions: before ${JSON.stringify(logins)}, after ${JSON.stringify(h.sshLogins())}`);
        return `preview ${p.seconds.toFixed(1)} s, up ${u.seconds.toFixed(1)} s; 0 node calls, 0 SSH logins`;
    });

    step("p. policy pack through the CLI: preview --policy-pack passes; an inline Helm password is refused, naming the rule", () => {
        const pack = path.resolve(__dirname, "..", "..", "policy");
        const ok = h.pulumiOk(["preview", "--policy-pack", pack]);
        const ran = PACK_RAN.exec(ok.stdout + ok.stderr);
        check(ran !== null, `the preview did not report running the picluster pack:\n${tail(ok.stdout + ok.stderr, 20)}`);
        h.editConfig((c) => {
            const services = c["picluster:services"] as Record<string, Record<string, unknown>>;
            services.monitoring.values = { grafana: { adminPassword: "inline-e2e-password" } };
        });
        try {
            const bad = h.pulumi(["preview", "--policy-pack", pack, "--stack", h.stack]);
            const out = bad.stdout + bad.stderr;
            check(bad.code !== 0, `the preview with an inline Helm password passed:\n${tail(out, 20)}`);
            check(out.includes("helm-no-inline-credentials") && /mandatory/.test(out), `the preview failed, but not naming helm-no-inline-credentials as mandatory:\n${tail(out, 30)}`);
            check(!out.includes("inline-e2e-password"), "the refused value appears in the preview output");
        } finally {
            h.editConfig((c) => {
                delete (c["picluster:services"] as Record<string, Record<string, unknown>>).monitoring.values;
            });
        }
        return `${ran[0].replace(/\s+/g, " ")}; services.monitoring.values.grafana.adminPassword inline: refused by helm-no-inline-credentials (mandatory)`;
    });

    step("c. one label and the agent pool's HPA maximum changed: preview diff shows exactly those", () => {
        h.editCluster((c) => {
            const n = c.nodes.find((x) => x.name === AGENT1);
            if (n) n.labels = { ...n.labels, "picluster.io/zone": "rack-2" };
        });
        h.editConfig((c) => {
            (c["picluster:agentHost"] as { maxReplicas: number }).maxReplicas = 3;
        });
        const r = h.pulumiOk(["preview", "--diff", "--json"]);
        const preview = JSON.parse(r.stdout) as { steps?: { op: string; urn: string; detailedDiff?: Record<string, unknown>; diffReasons?: string[] }[] };
        const changed = (preview.steps ?? []).filter((s) => s.op !== "same");
        const described = changed.map((s) => `${s.op} ${s.urn.split("::").pop()} ${JSON.stringify(Object.keys(s.detailedDiff ?? {}))}`).sort();
        const expected = [
            `update ${AGENT1}-metadata ${JSON.stringify(['metadata.labels["picluster.io/zone"]'])}`,
            `update agent-host-agent-host-hpa ${JSON.stringify(["spec.maxReplicas"])}`,
        ].sort();
        check(JSON.stringify(described) === JSON.stringify(expected), `preview changes:\n${described.join("\n")}\nexpected:\n${expected.join("\n")}`);
        const hpa = changed.find((s) => s.urn.includes("HorizontalPodAutoscaler"));
        check(hpa !== undefined, "the HPA change is not an update of a HorizontalPodAutoscaler");
        const calls = h.calls().length;
        up();
        check(nodeNamed(AGENT1)?.metadata.labels?.["picluster.io/zone"] === "rack-2", "the new label is not on the Node");
        const max = h.kubectlJson<{ items: { spec: { maxReplicas: number } }[] }>(["get", "hpa", "-A"]).items.map((x) => x.spec.maxReplicas);
        check(max.length === 1 && max[0] === 3, `HPA maxReplicas in the cluster: ${JSON.stringify(max)}`);
        check(mutatingCalls(h.calls().slice(calls)).length === 0, "applying them ran commands on the nodes");
        return `diff: ${described.join("; ")}`;
    });

    step(`d. k3sVersion ${K3S_VERSION} → ${NEXT_VERSION}: servers first, one node at a time`, () => {
        h.editCluster((c) => {
            c.k3sVersion = NEXT_VERSION;
        });
        // The preview tells the truth: no drift repair pending or planned on any node.
        const planned = changes(h.pulumiOk(["preview", "--json"]).stdout);
        check(planned.repairs.length === 0, `the upgrade's preview shows repairs: ${planned.repairs.join("; ")}`);
        check(!planned.changed.some((c) => /-(repair|forget)$/.test(c)), `the upgrade's preview lists repair steps: [${planned.changed.join(", ")}]`);
        check(planned.changed.includes(`update ${AGENT1}-upgrade`), `the upgrade's preview does not list ${AGENT1}'s upgrade: [${planned.changed.join(", ")}]`);
        // A k3s upgrade changes the nodes, never what is deployed on them nor the cluster's provider.
        check(planned.kubernetes.length === 0, `the upgrade's preview changes Kubernetes resources: [${planned.kubernetes.join(", ")}]`);
        const generations = () => repairGenerations(h.pulumiOk(["stack", "export"]).stdout);
        const before = generations();
        const calls = h.calls().length;
        const r = up();
        const upgradeCalls = h.calls().slice(calls);
        const problems = rollingUpgradeProblems(upgradeCalls, [SERVER, AGENT1, AGENT2]);
        check(problems.length === 0, problems.join("\n"));
        // The installer is unchanged between the two versions: the upgrade places the binary and restarts k3s.
        check(!upgradeCalls.some((c) => c.event === "install-start"), "the upgrade re-ran the unchanged installer");
        const sudo = checkSudo(upgradeCalls, ["restart"]);
        // A drift repair runs only after a refresh found something: an upgrade runs none.
        const after = generations();
        check(JSON.stringify(after) === JSON.stringify(before), `the upgrade ran drift repairs: generations ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
        for (const n of nodes()) {
            check(n.status?.nodeInfo?.kubeletVersion === NEXT_VERSION, `${n.metadata.name} runs ${n.status?.nodeInfo?.kubeletVersion}`);
            check(!n.spec?.unschedulable, `${n.metadata.name} is still cordoned`);
            check(!n.metadata.annotations?.["picluster.io/drained-for"], `${n.metadata.name} still carries the drain annotation`);
        }
        return `preview: ${planned.changed.length} changes, no repair, no Kubernetes resource; up ${r.seconds.toFixed(1)} s; order ${SERVER} → ${AGENT1} → ${AGENT2}, each drain → restart → uncordon, no drift repair run; ${sudo}`;
    });

    step("r. registries: set, then one mirror changed: each node restarts once, in order, and its file matches", () => {
        const password = "e2e-registry-password-0123456789";
        h.pulumiOk(["config", "set", "--secret", "picluster:registryPassword"], { input: password });
        const registries = (mirror: string) => ({
            mirrors: { "docker.io": { endpoint: [mirror] } },
            configs: { "registry.e2e.invalid": { auth: { username: "e2e", passwordKey: "registryPassword" } } },
        });
        const order = [SERVER, AGENT1, AGENT2];
        const roll = (mirror: string): string => {
            h.editCluster((c) => {
                c.registries = registries(mirror);
            });
            const calls = h.calls().length;
            const r = up();
            const restarts = h.calls().slice(calls).filter((c) => c.event === "systemctl" && c.fields.verb === "restart");
            const seen = restarts.map((c) => `${c.node}:${c.fields.unit}`);
            const expected = order.map((n) => `${n}:${n === SERVER ? "k3s" : "k3s-agent"}`);
            check(JSON.stringify(seen) === JSON.stringify(expected), `restarts ${JSON.stringify(seen)}, expected one per node in order ${JSON.stringify(expected)}`);
            const file = renderRegistriesYaml(registriesSchema.parse(registries(mirror)), { registryPassword: password });
            for (const n of order) {
                const onNode = path.join(h.node(n).root, "etc-rancher", "k3s", "registries.yaml");
                check(fs.readFileSync(onNode, "utf8") === file, `${n}: registries.yaml differs from the rendered settings`);
                check((fs.statSync(onNode).mode & 0o777) === 0o600, `${n}: registries.yaml is not 0600`);
            }
            return `up ${r.seconds.toFixed(1)} s`;
        };
        const first = roll("http://mirror-a.e2e.invalid:5000");
        const second = roll("http://mirror-b.e2e.invalid:5000");
        h.pulumiOk(["preview", "--expect-no-changes"]);
        const exported = h.pulumiOk(["stack", "export"]).stdout;
        check(!exported.includes(password), "the registry password is in the exported state");
        return `set: ${first}; mirror changed: ${second}; restarts ${order.join(" → ")} each time; files match, 0600; no-op preview; password not in state`;
    });

    step(`e. ${AGENT2} removed from config: drained, Node deleted, uninstalled`, () => {
        h.editCluster((c) => {
            c.nodes = c.nodes.filter((n) => n.name !== AGENT2);
        });
        const calls = h.calls().length;
        const r = up();
        const after = mutatingCalls(h.calls().slice(calls));
        const sudo = checkSudo(after, ["uninstall"]);
        const idx = (pred: (c: (typeof after)[number]) => boolean) => after.findIndex(pred);
        const drain = idx((c) => c.args[0] === "drain" && kubectlTarget(c) === AGENT2);
        const del = idx((c) => c.args[0] === "delete" && kubectlTarget(c) === AGENT2);
        const uninstall = idx((c) => c.event === "uninstall" && c.node === AGENT2);
        check(drain >= 0 && del > drain && uninstall > del, `expected drain → delete node → uninstall, got:\n${after.map((c) => c.line).join("\n")}`);
        const others = after.filter((c) => c.node !== SERVER && c.node !== AGENT2);
        check(others.length === 0, `other nodes were touched:\n${others.map((c) => c.line).join("\n")}`);
        check(nodeNamed(AGENT2) === undefined, `Node ${AGENT2} still exists`);
        const secret = h.kubectl(["-n", "kube-system", "get", "secret", `${AGENT2}.node-password.k3s`]);
        check(secret.code !== 0, `the node password secret of ${AGENT2} is still there`);
        const bin = path.join(h.node(AGENT2).root, "usr-local-bin");
        check(fs.readdirSync(bin).length === 0, `${AGENT2}'s /usr/local/bin still holds ${fs.readdirSync(bin).join(", ")}`);
        check(!fs.existsSync(path.join(h.node(AGENT2).root, "etc-rancher", "node", "password")), `${AGENT2}'s node password file is still there`);
        return `up ${r.seconds.toFixed(1)} s; drain → delete node → uninstall on ${AGENT2}; ${sudo}`;
    });

    step(`f. ${AGENT2} re-added while its sshd is down: up fails naming it; converges after restart`, () => {
        h.stopNode(AGENT2);
        h.editCluster((c) => {
            c.nodes.push((h.clusterConfig().nodes as { name: string; labels: Record<string, string> }[]).find((n) => n.name === AGENT2)!);
        });
        const calls = h.calls().length;
        const logins = h.sshLogins();
        const failed = h.pulumi(["up", "--yes", "--skip-preview", "--stack", h.stack]);
        check(failed.code !== 0, "up succeeded although the node's sshd is stopped");
        const out = failed.stdout + failed.stderr;
        const errorLines = out.split("\n").filter((l) => /error|fail/i.test(l));
        check(errorLines.some((l) => l.includes(AGENT2)), `no error line names ${AGENT2}:\n${lastOf(failed)}`);
        check(h.calls().length === calls, `nodes were touched during the failed up:\n${h.calls().slice(calls).map((c) => c.line).join("\n")}`);
        const loginsAfter = h.sshLogins();
        check(loginsAfter[SERVER] === logins[SERVER] && loginsAfter[AGENT1] === logins[AGENT1], "the failed up opened sessions on the healthy nodes");
        const firstError = errorLines.find((l) => l.includes(AGENT2))?.trim() ?? "";
        const t1 = failed.seconds;
        h.startNode(AGENT2);
        const rejoin = h.calls().length;
        const r = up();
        const sudo = checkSudo(h.calls().slice(rejoin), ["install"]);
        const back = nodeNamed(AGENT2);
        check(back?.status?.nodeInfo?.kubeletVersion === NEXT_VERSION, `${AGENT2} did not come back at ${NEXT_VERSION}`);
        check(back?.metadata.labels?.["picluster.io/tier"] === "worker", `${AGENT2} came back without its labels`);
        h.pulumiOk(["preview", "--expect-no-changes"]);
        return `failed up ${t1.toFixed(1)} s: "${firstError.slice(0, 160)}"; after restart up ${r.seconds.toFixed(1)} s (${sudo}), then no changes`;
    });

    step(`f2. agents hold no server token; a join the server refuses fails up within ${READY_SECONDS} s naming ${AGENT2}`, () => {
        const held = agentsHoldNoServerToken(h, SERVER, [AGENT1, AGENT2]);
        return `${held}; ${refusedJoinFailsBounded(h, AGENT2, READY_SECONDS)}`;
    });

    driftSteps(h, step, check, AGENT1, AGENT2);

    step("g. stack export holds no SSH key, join token, generated password, kubeconfig client key or service-account token in plain text", () => {
        const exported = h.pulumiOk(["stack", "export"]).stdout;
        const keyBody = fs
            .readFileSync(path.join(h.dir, "client_key"), "utf8")
            .split("\n")
            .filter((l) => l && !l.startsWith("-----"));
        const configYaml = fs.readFileSync(path.join(h.node(SERVER).root, "etc-rancher", "k3s", "config.yaml"), "utf8");
        const token = /^token: *(\S+)/m.exec(configYaml)?.[1];
        check(!!token, "no token in the server's config.yaml");
        const k3sYaml = fs.readFileSync(path.join(h.node(SERVER).root, "etc-rancher", "k3s", "k3s.yaml"), "utf8");
        const clientKeyData = /client-key-data: *(\S+)/.exec(k3sYaml)?.[1];
        check(!!clientKeyData, "no client key in the server's k3s.yaml");
        const clientKeyPem = Buffer.from(clientKeyData, "base64").toString("utf8");
        const clientKeyBody = clientKeyPem.split("\n").filter((l) => l && !l.startsWith("-----"));
        const credentials = JSON.parse(h.pulumiOk(["stack", "output", "credentials", "--show-secrets", "--json"]).stdout) as Record<string, string>;
        const passwords = Object.entries(credentials).filter(([, v]) => typeof v === "string" && v.length >= 8);
        check(passwords.length > 0, "the stack exports no generated credentials to look for");
        // The orchestrator's service-account token, as the token controller wrote it.
        const tokenB64 = h.kubectlJson<{ data?: { token?: string } }>(["-n", WORKER_NS, "get", "secret", "orchestrator-token"]).data?.token;
        check(!!tokenB64, `${WORKER_NS}/orchestrator-token has no token`);
        const saToken = Buffer.from(tokenB64, "base64").toString("utf8");
        const leaks: string[] = [];
        if (exported.includes(tokenB64) || exported.includes(saToken)) leaks.push("orchestrator service-account token");
        for (const [name, value] of passwords) if (exported.includes(value)) leaks.push(`generated credential ${name}`);
        if (keyBody.some((l) => exported.includes(l))) leaks.push("SSH private key");
        if (exported.includes(token)) leaks.push("join token");
        if (exported.includes(clientKeyData) || clientKeyBody.some((l) => exported.includes(l))) leaks.push("kubeconfig client key");
        check(leaks.length === 0, `stack export contains in plain text: ${leaks.join(", ")}`);
        check(exported.includes("4dabf18193072939515e22adb298388d"), "stack export holds no secret envelopes at all (did the secrets vanish?)");
        return `${(exported.length / 1024).toFixed(0)} KiB export; none of SSH key, join token, client key, orchestrator token, ${passwords.length} generated credentials appear`;
    });


    // A Job from the template the program deployed (the job-templates
    // ConfigMap), renamed, optionally edited; as YAML for `kubectl create -f -`.
    let templateText: string | undefined;
    const templateJob = (name: string, edit: (job: JobManifest) => void = () => {}): string => {
        if (templateText === undefined) {
            const cm = h.kubectlJson<{ data: Record<string, string> }>(["-n", WORKER_NS, "get", "configmap", "job-templates"]);
            templateText = cm.data[`${TEMPLATE}.yaml`];
            check(!!templateText, `the job-templates ConfigMap has no ${TEMPLATE}.yaml: ${Object.keys(cm.data).join(", ")}`);
        }
        const job = yaml.load(templateText) as JobManifest;
        job.metadata.name = name;
        edit(job);
        return yaml.dump(job);
    };

    step(`h. the orchestrator's kubeconfig manages Jobs in ${WORKER_NS} and nothing else`, () => {
        const kc = path.join(h.dir, "orchestrator-kubeconfig");
        fs.writeFileSync(kc, h.pulumiOk(["stack", "output", "orchestratorKubeconfig", "--show-secrets"]).stdout, { mode: 0o600 });
        try {
            const as = (args: string[], input?: string) => h.kubectlWith(kc, args, input);
            const who = as(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
            const sa = `system:serviceaccount:${WORKER_NS}:orchestrator`;
            check(who.code === 0 && who.stdout.trim() === sa, `the orchestrator kubeconfig authenticates as '${who.stdout.trim()}' (${who.stderr.trim()}), expected ${sa}`);
            // What RBAC says, then what the API server does.
            const canI = (verb: string, resource: string, ns?: string) => {
                const r = as(["auth", "can-i", verb, resource, ...(ns ? ["-n", ns] : [])]);
                return r.stdout.trim();
            };
            const allowed = ["create", "get", "list", "delete"].map((v) => [v, canI(v, "jobs.batch", WORKER_NS)]);
            check(allowed.every(([, a]) => a === "yes"), `can-i on jobs in ${WORKER_NS}: ${JSON.stringify(allowed)}`);
            const denied: [string, string, string?][] = [
                ["create", "jobs.batch", "default"],
                ["list", "secrets", WORKER_NS],
                ["list", "nodes"],
                ["create", "deployments.apps", WORKER_NS],
            ];
            const saidYes = denied.filter(([v, res, ns]) => canI(v, res, ns) !== "no");
            check(saidYes.length === 0, `can-i says yes (or fails) for: ${saidYes.map((d) => d.join(" ")).join("; ")}`);

            const name = `${TEMPLATE}-e2e-${Date.now() % 100000}`;
            const created = as(["create", "-f", "-", "-o", "name"], templateJob(name));
            check(created.code === 0, `the orchestrator could not create a Job from the template: ${created.stderr.trim()}`);
            const got = as(["-n", WORKER_NS, "get", "job", name, "-o", "jsonpath={.metadata.name}"]);
            check(got.code === 0 && got.stdout === name, `get job ${name}: ${got.stdout}${got.stderr.trim()}`);
            const listed = as(["-n", WORKER_NS, "get", "jobs", "-o", "name"]);
            check(listed.code === 0 && listed.stdout.split("\n").includes(`job.batch/${name}`), `list jobs: ${listed.stdout}${listed.stderr.trim()}`);
            const deleted = as(["-n", WORKER_NS, "delete", "job", name, "--wait=true", "--timeout=30s"]);
            check(deleted.code === 0, `delete job ${name}: ${deleted.stderr.trim()}`);
            check(h.kubectl(["-n", WORKER_NS, "get", "job", name]).code !== 0, `Job ${name} still exists after the orchestrator deleted it`);

            forbidden(as(["create", "-f", "-"], templateJob(`${name}-elsewhere`, (j) => (j.metadata.namespace = "default"))), "creating a Job in namespace default");
            forbidden(as(["-n", WORKER_NS, "get", "secrets"]), `listing Secrets in ${WORKER_NS}`);
            forbidden(as(["get", "nodes"]), "listing Nodes");
            const deployment = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "e2e-sneaky", namespace: WORKER_NS },
                spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "x:1" }] } } },
            };
            forbidden(as(["create", "-f", "-"], JSON.stringify(deployment)), `creating a Deployment in ${WORKER_NS}`);
            check(h.kubectl(["-n", "default", "get", "job", `${name}-elsewhere`]).code !== 0, "the forbidden Job exists in default");
            check(h.kubectl(["-n", WORKER_NS, "get", "deployment", "e2e-sneaky"]).code !== 0, "the forbidden Deployment exists");
            return `as ${sa}: create/get/list/delete Job ${name} ok; forbidden (can-i no, and refused): Job in default, list Secrets, list Nodes, create Deployment`;
        } finally {
            fs.rmSync(kc, { force: true });
        }
    });

    step(`i. the admission policy refuses incomplete Jobs in ${WORKER_NS}, admits the template`, () => {
        const create = (job: string) => h.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], job);
        const policy = `${WORKER_NS}-job-guardrails`;
        const cases: [string, (j: JobManifest) => void, string][] = [
            ["no activeDeadlineSeconds", (j) => delete j.spec.activeDeadlineSeconds, "spec.activeDeadlineSeconds must be set"],
            ["restartPolicy OnFailure", (j) => (j.spec.template.spec.restartPolicy = "OnFailure"), "spec.template.spec.restartPolicy must be Never"],
            ["no resources", (j) => j.spec.template.spec.containers.forEach((c) => delete c.resources), "every container must declare cpu and memory requests and limits"],
        ];
        const refused: string[] = [];
        let sample = "";
        for (const [what, edit, message] of cases) {
            const r = create(templateJob(`${TEMPLATE}-bad`, edit));
            check(r.code !== 0, `a Job with ${what} was admitted in ${WORKER_NS}`);
            check(r.stderr.includes(policy) && r.stderr.includes(message), `a Job with ${what} was refused, but not by ${policy} with "${message}": ${r.stderr.trim()}`);
            refused.push(what);
            sample ||= r.stderr.trim().split("\n")[0];
        }
        const ok = create(templateJob(`${TEMPLATE}-good`));
        check(ok.code === 0, `the rendered template was refused: ${ok.stderr.trim()}`);
        // The binding selects the worker namespace only.
        const elsewhere = create(templateJob(`${TEMPLATE}-bad`, (j) => {
            j.metadata.namespace = "default";
            delete j.spec.activeDeadlineSeconds;
        }));
        check(elsewhere.code === 0, `the policy also refuses Jobs outside ${WORKER_NS}: ${elsewhere.stderr.trim()}`);
        return `refused by ${policy}: ${refused.join(", ")}; template admitted; the same incomplete Job admitted in default\n${sample}`;
    });

    postgresDrainSteps(h, step, check, { node: AGENT1, agents: [AGENT1, AGENT2], from: NEXT_VERSION, to: LAST_VERSION });
    credentialRotationStep(h, step, check, SERVER);
    restoreDryRunStep(h, step, check, SERVER);

    step("j. pulumi destroy leaves none of the program's objects", () => {
        const calls = h.calls().length;
        const r = h.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        const left = nodes().map((n) => n.metadata.name);
        check(left.length === 0, `Nodes left: ${left.join(", ")}`);
        const secrets = h.kubectlJson<{ items: { metadata: { name: string } }[] }>(["-n", "kube-system", "get", "secrets"]).items.map((s) => s.metadata.name);
        check(!secrets.some((s) => s.endsWith(".node-password.k3s")), `node password secrets left: ${secrets.join(", ")}`);
        const namespaces = h.kubectlJson<{ items: { metadata: { name: string } }[] }>(["get", "namespaces"]).items.map((n) => n.metadata.name);
        const extra = namespaces.filter((n) => !["default", "kube-system", "kube-public", "kube-node-lease"].includes(n));
        check(extra.length === 0, `namespaces left: ${extra.join(", ")}`);
        const clusterScoped = h.kubectl(["get", "clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings,priorityclasses,storageclasses", "-l", "app.kubernetes.io/part-of=picluster", "-o", "name"]);
        check(clusterScoped.code === 0 && clusterScoped.stdout.trim() === "", `cluster-scoped objects left: ${clusterScoped.stdout.trim() || clusterScoped.stderr.trim()}`);
        const policies = h.kubectl(["get", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-o", "name"]);
        check(policies.stdout.trim() === "", `admission policies left: ${policies.stdout.trim()}`);
        const kept = checkChartsRemoved(h, check, charts);
        const uninstalled = h.calls().slice(calls).filter((c) => c.event === "uninstall").map((c) => c.node).sort();
        check(uninstalled.join(",") === [AGENT1, AGENT2, SERVER].sort().join(","), `uninstalled: ${uninstalled.join(", ")}`);
        const sudo = checkSudo(h.calls().slice(calls), ["uninstall"]);
        return `destroy ${r.seconds.toFixed(1)} s; 0 Nodes, 0 node secrets, no namespaces left; 3 uninstalls; ${sudo}\n${kept}`;
    });
}

/**
 * The README's first command, `npm run dev`: a preview of the committed dev
 * stack on a local file backend, with no cloud account and no key of the
 * user's. Run in a copy of the repository (it writes the stack's salt and
 * generated key into Pulumi.dev.yaml) with its own HOME; a preview contacts
 * no node.
 */
function readmeMainJob(workDir: string, toolchainPath: string): void {
    step("k. README main job: npm run dev previews the dev stack on a local file backend", () => {
        const repo = path.resolve(__dirname, "..", "..");
        const copy = path.join(workDir, "readme-repo");
        const home = path.join(workDir, "readme-home");
        fs.mkdirSync(home, { recursive: true });
        const files = run("git", ["ls-files", "-z"], { cwd: repo }).stdout.split("\0").filter(Boolean);
        for (const f of files) {
            if (!fs.existsSync(path.join(repo, f))) continue;
            fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
            fs.copyFileSync(path.join(repo, f), path.join(copy, f));
        }
        fs.symlinkSync(path.join(repo, "node_modules"), path.join(copy, "node_modules"));
        // `npm run dev` finds the `pulumi` npm package's launcher first on PATH;
        // it runs the CLI cached under PULUMI_HOME/versions/<version>/bin, which
        // on a workstation it downloads once and here the toolchain provides.
        const cliVersion = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies.pulumi;
        const cached = path.join(home, ".pulumi", "versions", cliVersion, "bin");
        fs.mkdirSync(cached, { recursive: true });
        const pulumiDir = toolchainPath.split(":").find((d) => fs.existsSync(path.join(d, "pulumi")));
        check(pulumiDir !== undefined, "no pulumi binary in the toolchain");
        // What the official CLI's cache holds: the CLI, its language host and its dynamic-provider launcher (for the Go-built CLI, this project's, which scripts/toolchain.sh puts beside it).
        for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) fs.symlinkSync(fs.realpathSync(path.join(pulumiDir, bin)), path.join(cached, bin));
        const env: NodeJS.ProcessEnv = {
            PATH: `${toolchainPath}:${process.env.PATH ?? ""}`,
            HOME: home,
            PULUMI_HOME: path.join(home, ".pulumi"),
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_SKIP_UPDATE_CHECK: "1",
        };
        const r = run("npm", ["run", "dev"], { cwd: copy, env, timeoutSeconds: 300 });
        const out = r.stdout + r.stderr;
        check(r.code === 0, `npm run dev exited ${r.code}:\n${tail(out, 30)}`);
        const creates = /\+ (\d+) to create/.exec(out);
        check(creates !== null && Number(creates[1]) > 0, `no creates in the preview:\n${tail(out, 20)}`);
        check(PACK_RAN.test(out), `npm run dev did not run the policy pack:\n${tail(out, 20)}`);
        check(out.includes("dev-only passphrase"), "the dev passphrase notice is missing");
        check(fs.existsSync(path.join(home, ".picluster", "dev_ed25519")), "no dev key was generated");
        check(fs.existsSync(path.join(home, ".picluster", "state", ".pulumi", "stacks")), "no file-backend state under ~/.picluster/state");
        const stackFile = fs.readFileSync(path.join(copy, "Pulumi.dev.yaml"), "utf8");
        check(/picluster:sshPrivateKey:\s*\n\s*secure:/.test(stackFile), "the generated key is not stored as a secret in Pulumi.dev.yaml");
        const key = fs.readFileSync(path.join(home, ".picluster", "dev_ed25519"), "utf8").split("\n")[1];
        check(!out.includes(key), "the private key appears in the preview output");
        return `preview ${r.seconds.toFixed(1)} s: ${creates[1]} to create; key generated and stored as a secret; state in ~/.picluster/state`;
    });
}

process.exitCode = main();

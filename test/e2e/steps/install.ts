/**
 * The scenario's start, as a user's: the harness (etcd, kube-apiserver,
 * three SSH nodes) and the cold `pulumi up` that converges them (a).
 */
import * as fs from "fs";
import * as path from "path";
import { ChartSnapshot, checkCharts } from "../chartSteps";
import { Harness, K3S_VERSION } from "../harness";
import { AGENT1, AGENT2, Check, clusterViews, LOGIN, SERVER, Step, sudoChecker, SUDO_LOGIN } from "./common";

/** Starts the harness and the first `up`; the charts it deployed (for destroy), or undefined when the scenario cannot go on. */
export function installSteps(h: Harness, step: Step, check: Check): { charts: ChartSnapshot | undefined } | undefined {
    const { nodes } = clusterViews(h);
    const checkSudo = sudoChecker(check);

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
    return { charts };
}

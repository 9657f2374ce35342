/**
 * A node leaves and comes back: removed from config (e), re-added while its
 * sshd is down (f), and the join's trust boundaries (f2). The drift repairs
 * that follow are drift.ts's.
 */
import * as fs from "fs";
import * as path from "path";
import { kubectlTarget, mutatingCalls } from "../lib/calls";
import { Harness, READY_SECONDS } from "../harness";
import { agentsHoldNoServerToken, refusedJoinFailsBounded } from "../installerSteps";
import { AGENT1, AGENT2, Check, clusterViews, NEXT_VERSION, SERVER, Step, sudoChecker } from "./common";

export function nodeLifecycleSteps(h: Harness, step: Step, check: Check): void {
    const { nodeNamed, up, lastOf } = clusterViews(h);
    const checkSudo = sudoChecker(check);

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
}

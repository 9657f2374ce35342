/**
 * The k3s upgrade a user rolls by changing `cluster.k3sVersion` (d): servers
 * first, one node at a time, each drained and uncordoned, no drift repair.
 */
import { rollingUpgradeProblems } from "../lib/calls";
import { changes, repairGenerations } from "../drift";
import { Harness, K3S_VERSION } from "../harness";
import { AGENT1, AGENT2, Check, clusterViews, NEXT_VERSION, SERVER, Step, sudoChecker } from "./common";

export function k3sUpgradeStep(h: Harness, step: Step, check: Check): void {
    const { nodes, up } = clusterViews(h);
    const checkSudo = sudoChecker(check);

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
}

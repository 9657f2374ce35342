/**
 * The end of a stack's life (j): `pulumi destroy` leaves none of the
 * program's objects, every node uninstalled through sudo.
 */
import { ChartSnapshot, checkChartsRemoved } from "../chartSteps";
import { Harness } from "../harness";
import { AGENT1, AGENT2, Check, clusterViews, SERVER, Step, sudoChecker } from "./common";

/** `charts`: what the install deployed (installSteps). */
export function destroyStep(h: Harness, step: Step, check: Check, charts: ChartSnapshot | undefined): void {
    const { nodes } = clusterViews(h);
    const checkSudo = sudoChecker(check);

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

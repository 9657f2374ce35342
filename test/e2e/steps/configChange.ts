/**
 * Config changes after the install: one the policy pack refuses at preview
 * (p), a label and the agent pool's HPA maximum (c), and registries set then
 * changed, which restart each node in order (r, after the k3s upgrade).
 */
import * as fs from "fs";
import * as path from "path";
import { renderRegistriesYaml } from "../../../components/cluster/install/registriesFile";
import { registriesSchema } from "../../../config/schema/registries";
import { mutatingCalls } from "../lib/calls";
import { Harness, REPO, tail } from "../harness";
import { AGENT1, AGENT2, Check, clusterViews, PACK_RAN, SERVER, Step } from "./common";

/** p: the policy pack through the CLI. */
export function policyStep(h: Harness, step: Step, check: Check): void {
    step("p. policy pack through the CLI: preview --policy-pack passes; an inline Helm password is refused, naming the rule", () => {
        const pack = path.join(REPO, "policy");
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
}

/** c: one label and the HPA maximum, exactly those in the diff. */
export function labelAndHpaStep(h: Harness, step: Step, check: Check): void {
    const { nodeNamed, up } = clusterViews(h);

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
}

/** r: registries set, then one mirror changed. */
export function registriesStep(h: Harness, step: Step, check: Check): void {
    const { up } = clusterViews(h);

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
}

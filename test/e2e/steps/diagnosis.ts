/**
 * Services that say why not (#25): a release whose pod cannot start fails
 * `up` within its bound, the error naming the pod and its reason (t); and
 * `npm run verify` prints its table against the e2e cluster (v).
 */
import { spawn } from "child_process";
import * as path from "path";
import { catalogPresets, helmFullname } from "../../../plan/catalog/presets";
import { Harness, REPO, run, tail } from "../harness";
import { Check, Step } from "./common";

/** The catalog entry that cannot start: the headlamp preset's upstream chart, waited for although services.skipAwait is on. */
const STUCK = { name: "stuck", preset: "headlamp" as const, timeoutSeconds: 60 };
const STUCK_NS = catalogPresets.headlamp.namespace;
const STUCK_DEPLOYMENT = helmFullname(STUCK.name, "headlamp");

/** The charts these steps install besides the services': the harness's chart repository serves them too. */
export function diagnosisCharts(): string[] {
    return [`headlamp@${catalogPresets.headlamp.version}`];
}

type Catalog = Record<string, unknown>[];
const catalogOf = (c: Record<string, unknown>) => ((c["picluster:services"] as { catalog?: Catalog }).catalog ??= []);

export function releaseDiagnosisStep(h: Harness, step: Step, check: Check): void {
    step("t. a release whose pod cannot start fails up within its bound, naming the pod and its reason; nothing is rolled back", () => {
        h.editConfig((c) => void catalogOf(c).push({ ...STUCK, repo: h.chartRepoUrl, skipAwait: false }));
        // The ReplicaSet controller's part for the chart's Deployment (none runs here): one Pod, which no scheduler places.
        const standin = spawn("bash", [path.join(REPO, "test", "e2e", "lib", "podstandin.sh"), path.join(h.dir, "apiserver", "kubeconfig"), STUCK_NS, STUCK_DEPLOYMENT, "300"], {
            env: h.env,
            stdio: "ignore",
        });
        let diagnosis = "";
        try {
            const r = h.pulumi(["up", "--yes", "--skip-preview", "--stack", h.stack], { timeoutSeconds: STUCK.timeoutSeconds + 300 });
            const out = r.stdout + r.stderr;
            check(r.code !== 0, `up succeeded with a release whose pod cannot start:\n${tail(out, 20)}`);
            const pod = `${STUCK_DEPLOYMENT}-e2e-standin`;
            const wanted = [
                `release ${STUCK.name} (namespace ${STUCK_NS}, revision 1) is not ready after ${STUCK.timeoutSeconds} s`,
                `Deployment ${STUCK_DEPLOYMENT}: 0 of 1 ready`,
                `pod ${pod}: Pending: not scheduled yet`,
                `helm rollback ${STUCK.name} -n ${STUCK_NS}`,
            ];
            const missing = wanted.filter((w) => !out.includes(w));
            check(missing.length === 0, `up failed, but its error lacks ${missing.map((m) => `"${m}"`).join(", ")}:\n${tail(out, 40)}`);
            // Within its bound: the wait plus Helm's install and the engine, not Helm's own timeout on top.
            check(r.seconds < STUCK.timeoutSeconds + 90, `up took ${r.seconds.toFixed(1)} s for a ${STUCK.timeoutSeconds} s bound`);
            const rel = h.helmReleases().find((x) => x.name === STUCK.name);
            check(rel?.status === "deployed", `Helm's record of ${STUCK.name} is ${rel?.status ?? "gone"}: a failed wait must roll nothing back`);
            check(h.kubectl(["-n", STUCK_NS, "get", "pod", pod, "-o", "name"]).code === 0, `the pod ${pod} is gone: the evidence was removed`);
            // The error as Pulumi prints it under Diagnostics: its title, the workload and the pod.
            const lines = out.split("\n").map((l) => l.trim());
            const from = lines.findIndex((l) => l.startsWith("error: release stuck"));
            diagnosis = lines.slice(from, from + 4).join("\n");
            diagnosis = `up failed in ${r.seconds.toFixed(1)} s (bound ${STUCK.timeoutSeconds} s):\n${diagnosis}`;
        } finally {
            standin.kill();
        }
        h.editConfig((c) => {
            const catalog = catalogOf(c);
            catalog.splice(catalog.findIndex((e) => e.name === STUCK.name), 1);
        });
        const u = h.pulumiOk(["up", "--yes", "--skip-preview"]);
        check(!h.helmReleases().some((x) => x.name === STUCK.name), `release ${STUCK.name} is still installed after its entry was removed`);
        return `${diagnosis}\nentry removed: up ${u.seconds.toFixed(1)} s, release gone`;
    });
}

/** The rows `npm run verify` must print for the e2e stack's enabled services. */
const ROWS = ["ollama", "prometheus", "grafana", "postgres/e2e", "rocketchat", "agent-host"];

export function verifyStep(h: Harness, step: Step, check: Check): void {
    step("v. npm run verify prints a row per enabled service against the e2e cluster, each with its reason", () => {
        const env = { ...h.env, PATH: `${h.env.PATH}:${process.env.PATH ?? ""}` };
        const r = run("npm", ["run", "--silent", "verify", "--", h.stack, "--timeout", "10"], { cwd: REPO, env, timeoutSeconds: 300 });
        const out = r.stdout;
        const table = out.split("\n").filter((l) => /^\S+\s+(ok|down|skipped)\s/.test(l));
        const names = table.map((l) => l.split(/\s+/)[0]);
        check(/^service\s+state\s+reason$/m.test(out), `no table header in:\n${tail(out + r.stderr, 20)}`);
        check(ROWS.every((n) => names.includes(n)), `rows ${names.join(", ")}; expected ${ROWS.join(", ")}:\n${tail(out + r.stderr, 30)}`);
        // No kubelet runs containers here: the services' Services have no endpoints and say so, the probe pod is never placed.
        const row = (n: string) => table.find((l) => l.startsWith(`${n} `)) ?? "";
        // No endpoints controller runs here either: the proxy finds no endpoints, and no pod matches the Service.
        check(/down\s+monitoring-grafana:80\/api\/health: no endpoints .*; no pods match its selector/.test(row("grafana")), `grafana's row does not name the missing endpoints:\n${table.join("\n")}`);
        check(/down\s+psql pod \S+ did not finish within 10 s: Pending/.test(row("postgres/e2e")), `postgres/e2e's row:\n${table.join("\n")}`);
        check(r.code === 1 && /\d+ of \d+ do not answer/.test(out), `verify exited ${r.code} (expected 1: services without pods are down)`);
        const leftovers = h.kubectl(["-n", "postgres", "get", "pods", "-l", "app.kubernetes.io/name=picluster-verify", "-o", "name"]).stdout.trim();
        check(leftovers === "", `verify left its probe pods: ${leftovers}`);
        const key = h.pulumiOk(["stack", "output", "kubeconfig", "--show-secrets"]).stdout.match(/token: (\S+)/)?.[1];
        check(!key || !(out + r.stderr).includes(key), "verify printed the kubeconfig's token");
        return `${r.seconds.toFixed(1)} s, exit ${r.code}:\n${table.join("\n")}`;
    });
}

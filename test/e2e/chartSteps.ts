import * as path from "path";
import { cacheDir } from "../../scripts/charts/cache";
import { servicesSchema } from "../../config/schema/services";
import { Harness, run } from "./harness";
import { serviceCharts } from "./lib/serviceCharts";

/**
 * e2e assertions on the upstream charts (docs/e2e.md): what Helm recorded,
 * the CRDs the charts brought, values of the program found in the objects
 * the real templates made, and what `destroy` leaves (CRDs Helm keeps by
 * design, nothing else).
 */

type Check = (ok: boolean, message: string) => asserts ok;

/** CRDs the charts must have installed: the kinds the program's releases create. */
export const EXPECTED_CRDS = [
    "clusters.postgresql.cnpg.io",
    "databases.postgresql.cnpg.io",
    "poolers.postgresql.cnpg.io",
    "prometheuses.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
    "servicemonitors.monitoring.coreos.com",
    "podmonitors.monitoring.coreos.com",
    "alertmanagers.monitoring.coreos.com",
];
/** The API groups of the CRDs these charts bring. */
const CRD_GROUPS = ["postgresql.cnpg.io", "monitoring.coreos.com"];

/** What step a saw, for step j. */
export interface ChartSnapshot {
    crds: string[];
    summary: string;
}

/**
 * Why the suite cannot run on this chart cache (a pinned chart not in it,
 * or a pinned version never published), else undefined.
 */
export function chartCacheProblem(charts: string[]): string | undefined {
    const r = run("bash", [path.join(__dirname, "lib", "chartrepo.sh"), "check", cacheDir(), ...charts]);
    if (r.code === 0) return undefined;
    const why = r.stderr.trim().replace(/^chartrepo\.sh: /gm, "");
    return r.code === 3
        ? `the chart cache lacks a pinned chart, the suite runs only the upstream charts:\n${why}`
        : `a pinned chart version does not exist upstream:\n${why}`;
}

interface PodSpecLike {
    nodeSelector?: Record<string, string>;
    affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchExpressions?: { key: string; values?: string[] }[] }[] } } };
}

/** The architectures a pod spec is pinned to (nodeSelector or required node affinity). */
function archOf(spec: PodSpecLike): string[] {
    const out = new Set<string>();
    const sel = spec.nodeSelector?.["kubernetes.io/arch"];
    if (sel) out.add(sel);
    for (const t of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
        for (const e of t.matchExpressions ?? []) if (e.key === "kubernetes.io/arch") (e.values ?? []).forEach((v) => out.add(v));
    }
    return [...out];
}

/**
 * After the first `up`: every service's release is `deployed` at its pinned
 * chart version in Helm's own record (and nothing else is released), Helm's
 * hook Jobs ran to completion (through lib/hookjobs.sh) and were cleaned
 * up, the CRDs are established, and values the program sets are in the
 * objects the charts rendered.
 */
export function checkCharts(h: Harness, check: Check): ChartSnapshot {
    const releases = h.helmReleases();
    const expected = serviceCharts().map((c) => c.replace("@", "-")).sort();
    const got = releases.map((r) => r.chart).sort();
    check(JSON.stringify(got) === JSON.stringify(expected), `helm list -A: charts [${got.join(", ")}], expected [${expected.join(", ")}]`);
    const notDeployed = releases.filter((r) => r.status !== "deployed");
    check(notDeployed.length === 0, `releases not deployed: ${notDeployed.map((r) => `${r.namespace}/${r.name} ${r.status}`).join(", ")}`);
    const secrets = h.kubectlJson<{ items: { metadata: { namespace: string; labels?: Record<string, string> } }[] }>(["get", "secrets", "-A", "-l", "owner=helm,status=deployed"]).items;
    const recorded = secrets.map((s) => `${s.metadata.namespace}/${s.metadata.labels?.name}`).sort();
    const listed = releases.map((r) => `${r.namespace}/${r.name}`).sort();
    check(JSON.stringify(recorded) === JSON.stringify(listed), `sh.helm.release.v1 Secrets with status=deployed: [${recorded.join(", ")}], releases [${listed.join(", ")}]`);
    const release = (chart: string) => {
        const r = releases.find((x) => x.chart.startsWith(`${chart}-`) && /^\d/.test(x.chart.slice(chart.length + 1)));
        check(r !== undefined, `no release of chart ${chart}`);
        return r;
    };

    // Helm waited for kube-prometheus-stack's certificate Jobs (pre- and post-install hooks), then deleted them.
    const hooks = h.hookJobs();
    const mon = release("kube-prometheus-stack");
    for (const job of [`${mon.name}-kube-prometheus-admission-create`, `${mon.name}-kube-prometheus-admission-patch`]) {
        check(hooks.some((l) => l.startsWith(`${mon.namespace}/${job} `)), `hook Job ${mon.namespace}/${job} was never completed; completed: [${hooks.join("; ")}]`);
    }
    const hookJobsLeft = h
        .kubectlJson<{ items: { metadata: { namespace: string; name: string; annotations?: Record<string, string> } }[] }>(["get", "jobs", "-A"])
        .items.filter((j) => j.metadata.annotations?.["helm.sh/hook"] !== undefined);
    check(hookJobsLeft.length === 0, `hook Jobs left (helm deletes them once they succeed): ${hookJobsLeft.map((j) => `${j.metadata.namespace}/${j.metadata.name}`).join(", ")}`);

    // CRDs from the charts, established.
    const crdItems = h.kubectlJson<{ items: { metadata: { name: string }; spec: { group: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(["get", "crds"]).items;
    const established = new Set(crdItems.filter((c) => c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True")).map((c) => c.metadata.name));
    const missing = EXPECTED_CRDS.filter((c) => !established.has(c));
    check(missing.length === 0, `CRDs not established: ${missing.join(", ")}`);
    const crds = crdItems.map((c) => c.metadata.name).sort();
    const foreign = crdItems.filter((c) => !CRD_GROUPS.includes(c.spec.group)).map((c) => c.metadata.name);
    check(foreign.length === 0, `CRDs of unexpected groups: ${foreign.join(", ")}`);

    // Values the program sets, found in the rendered objects (the charts' own defaults differ).
    const d = servicesSchema.parse({});
    const podSpecs = (chart: string, kind: string) => {
        const r = release(chart);
        const items = h.kubectlJson<{ items: { metadata: { name: string }; spec: { template: { spec: PodSpecLike } } }[] }>(["-n", r.namespace, "get", kind, "-l", `app.kubernetes.io/instance=${r.name}`]).items;
        check(items.length > 0, `no ${kind} of release ${r.namespace}/${r.name}`);
        return items.map((i) => ({ name: `${r.namespace}/${i.metadata.name}`, arch: archOf(i.spec.template.spec) }));
    };
    // Rocket.Chat's MongoDB is the program's own StatefulSet now, not the chart's (docs/services.md): pinned to amd64 too.
    const rocketchatNs = release("rocketchat").namespace;
    const mongo = h
        .kubectlJson<{ items: { metadata: { name: string }; spec: { template: { spec: PodSpecLike } } }[] }>(["-n", rocketchatNs, "get", "statefulsets", "-l", "app.kubernetes.io/name=mongodb"])
        .items.map((i) => ({ name: `${rocketchatNs}/${i.metadata.name}`, arch: archOf(i.spec.template.spec) }));
    check(mongo.length === 1, `Rocket.Chat's MongoDB StatefulSets in ${rocketchatNs}: ${mongo.map((m) => m.name).join(", ") || "none"}`);
    const pinned = [...podSpecs("ollama", "deployments"), ...podSpecs("rocketchat", "deployments"), ...mongo];
    const unpinned = pinned.filter((p) => p.arch.join(",") !== "amd64");
    check(unpinned.length === 0, `not pinned to amd64: ${unpinned.map((p) => `${p.name} [${p.arch.join(",")}]`).join(", ")}`);

    const pg = release("cluster");
    const clusters = h.kubectlJson<{ items: { metadata: { name: string }; spec: { instances: number; storage?: { size?: string } } }[] }>(["-n", pg.namespace, "get", "clusters.postgresql.cnpg.io"]).items;
    check(clusters.length === 1, `postgres Clusters in ${pg.namespace}: ${clusters.length}`);
    const c = clusters[0];
    check(c.spec.instances === d.postgres.instances && c.spec.storage?.size === d.postgres.storage.size, `Cluster ${c.metadata.name}: instances ${c.spec.instances}, storage ${c.spec.storage?.size}; the program sets ${d.postgres.instances}, ${d.postgres.storage.size}`);
    const dbs = h.kubectlJson<{ items: { spec: { name: string } }[] }>(["-n", pg.namespace, "get", "databases.postgresql.cnpg.io"]).items.map((x) => x.spec.name);
    check(dbs.includes("e2e"), `postgres Database objects: [${dbs.join(", ")}], expected one for e2e`);

    const proms = h.kubectlJson<{ items: { spec: { retention?: string; retentionSize?: string } }[] }>(["-n", mon.namespace, "get", "prometheuses.monitoring.coreos.com"]).items;
    check(proms.length === 1 && proms[0].spec.retention === d.monitoring.retention && proms[0].spec.retentionSize === d.monitoring.retentionSize, `Prometheus retention ${JSON.stringify(proms.map((p) => [p.spec.retention, p.spec.retentionSize]))}; the program sets ${d.monitoring.retention}, ${d.monitoring.retentionSize}`);

    // The webhooks whose pods never run: each must ignore its failure here, or nothing it guards is admitted.
    const hooksCfg = h.kubectlJson<{ items: { metadata: { name: string }; webhooks?: { name: string; failurePolicy?: string }[] }[] }>(["get", "mutatingwebhookconfigurations,validatingwebhookconfigurations"]).items;
    const webhooks = hooksCfg.flatMap((w) => (w.webhooks ?? []).map((x) => `${x.name}=${x.failurePolicy}`));
    const failing = webhooks.filter((w) => !w.endsWith("=Ignore"));
    check(webhooks.length > 0 && failing.length === 0, `webhooks with failurePolicy other than Ignore: ${failing.join(", ")}`);

    const summary = [
        `releases (helm list, sh.helm.release.v1 Secrets): ${releases.map((r) => `${r.namespace}/${r.name} ${r.chart} ${r.status}`).join(", ")}`,
        `hook Jobs completed: ${hooks.map((l) => l.split(" ")[0]).join(", ")} (then deleted by helm)`,
        `CRDs: ${crds.length} established (${EXPECTED_CRDS.length} checked by name)`,
        `values in objects: ${pinned.map((p) => p.name).join(", ")} pinned to amd64; Cluster ${c.metadata.name} instances ${c.spec.instances}, storage ${c.spec.storage?.size}; Database e2e; Prometheus retention ${d.monitoring.retention}/${d.monitoring.retentionSize}`,
        `webhooks (${webhooks.length}) all failurePolicy Ignore`,
    ].join("\n");
    return { crds, summary };
}

/**
 * After `destroy`: no release, no Helm record, no webhook configuration, no
 * object of the charts' kinds; the only things left are the CRDs step a saw,
 * which Helm keeps by design (CloudNativePG's carry
 * `helm.sh/resource-policy: keep`; kube-prometheus-stack's come from its
 * crds/ directory, which Helm installs but never upgrades or deletes).
 */
export function checkChartsRemoved(h: Harness, check: Check, before: ChartSnapshot | undefined): string {
    check(before !== undefined, "step a did not record the charts' CRDs");
    const releases = h.helmReleases();
    check(releases.length === 0, `releases left: ${releases.map((r) => `${r.namespace}/${r.name} ${r.status}`).join(", ")}`);
    const records = h.kubectl(["get", "secrets", "-A", "-l", "owner=helm", "-o", "name"]);
    check(records.code === 0 && records.stdout.trim() === "", `Helm release records left: ${records.stdout.trim() || records.stderr.trim()}`);
    const webhooks = h.kubectl(["get", "mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name"]);
    check(webhooks.code === 0 && webhooks.stdout.trim() === "", `webhook configurations left: ${webhooks.stdout.trim() || webhooks.stderr.trim()}`);
    const helmMade = h.kubectl(["get", "clusterroles,clusterrolebindings", "-l", "app.kubernetes.io/managed-by=Helm", "-o", "name"]);
    check(helmMade.code === 0 && helmMade.stdout.trim() === "", `chart cluster roles left: ${helmMade.stdout.trim() || helmMade.stderr.trim()}`);

    const crdItems = h.kubectlJson<{ items: { metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec: { group: string } }[] }>(["get", "crds"]).items;
    const left = crdItems.map((c) => c.metadata.name).sort();
    check(JSON.stringify(left) === JSON.stringify(before.crds), `CRDs after destroy: [${left.join(", ")}]; expected exactly the ${before.crds.length} the charts installed (Helm keeps them)`);
    // Kept for the reason each chart gives: the annotation, or the crds/ directory (then not part of the release manifest).
    const cnpgNotKept = crdItems.filter((c) => c.spec.group === "postgresql.cnpg.io" && c.metadata.annotations?.["helm.sh/resource-policy"] !== "keep").map((c) => c.metadata.name);
    check(cnpgNotKept.length === 0, `CloudNativePG CRDs left without helm.sh/resource-policy: keep: ${cnpgNotKept.join(", ")}`);
    const promManaged = crdItems.filter((c) => c.spec.group === "monitoring.coreos.com" && c.metadata.labels?.["app.kubernetes.io/managed-by"] === "Helm").map((c) => c.metadata.name);
    check(promManaged.length === 0, `prometheus-operator CRDs left that a release manifest managed: ${promManaged.join(", ")}`);
    // No object of those kinds survives (their namespaces are gone).
    const objects = h.kubectl(["get", EXPECTED_CRDS.join(","), "-A", "-o", "name"]);
    check(objects.code === 0 && objects.stdout.trim() === "", `custom objects left: ${objects.stdout.trim() || objects.stderr.trim()}`);
    const cnpg = left.filter((c) => c.endsWith(".postgresql.cnpg.io")).length;
    return `0 releases, 0 Helm records, 0 webhook configurations; kept by Helm by design: ${left.length} CRDs (${cnpg} CloudNativePG with resource-policy keep, ${left.length - cnpg} prometheus-operator from kube-prometheus-stack's crds/), no objects of them`;
}

/*
 * The chart test layer's checks over one rendered stack (the files of
 * `npm run render -- <stack> --manifests`). Each returns the problems it
 * finds as sentences naming the release, the object and the fix; an empty
 * list means the check passes.
 */
import * as YAML from "yaml";
import { evaluate } from "../../policy/core/evaluate";
import { isWorkload } from "../../policy/core/k8s";
import type { ResourceView, Rule } from "../../policy/core/types";
import { containerResources } from "../../policy/rules/resources";
import { imagePinned } from "../../policy/rules/imagePinned";
import { imagePinProblem } from "../../config/schema/common";
import { nonRoot } from "../../policy/rules/nonRoot";
import { probes } from "../../policy/rules/probes";
import { indexedVersions } from "./cache";
import { ChartExemption, KeyAllowance, objectMatches } from "./exemptions";
import { releaseIneffectiveKeys } from "./keys";
import { runtimePods } from "./runtimePods";
import { compareVersions, parseVersion } from "../../config/semver";
import type { PodToJudge, Rendered } from "./types";

export type { PodToJudge };
import { isChartManifest, Manifest, parseManifests, releasesOf } from "./releases";

/** A rendered stack: its files, keyed like out/<stack>/ ("k8s/…", "helm/…", "charts/…", "outputs.yaml"). */
export type { Rendered };

/** Every object of the stack: the program's own (k8s/) and each release's chart manifests (charts/). */
export function objectsOf(files: Rendered): { source: string; m: Manifest }[] {
    const out: { source: string; m: Manifest }[] = [];
    const namespaces = new Map(releasesOf(files).map((r) => [r.name, r.namespace]));
    for (const [file, text] of files) {
        if (file.startsWith("k8s/")) for (const m of parseManifests(text)) out.push({ source: "program", m });
        if (isChartManifest(file)) {
            const release = file.slice("charts/".length).replace(/\.yaml$/, "");
            for (const m of parseManifests(text, namespaces.get(release))) if (!isTestHook(m)) out.push({ source: release, m });
        }
    }
    return out;
}

/** `helm.sh/hook: test` objects exist only while `helm test` runs, which a Pulumi Release never does. */
function isTestHook(m: Manifest): boolean {
    const hook = (m.metadata as { annotations?: Record<string, string> }).annotations?.["helm.sh/hook"] ?? "";
    return hook.split(",").some((h) => h.trim() === "test" || h.trim() === "test-success");
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/** Every pinned chart version is in its repository's (cached) index. */
export function checkVersions(files: Rendered, cache?: string): string[] {
    return releasesOf(files).flatMap((r) => {
        const versions = indexedVersions(r.repo, r.chart, cache);
        if (!versions) return [`release ${r.name}: no index of ${r.repo} in the chart cache; fill it with npm run charts`];
        if (versions.includes(r.version)) return [];
        const near = neighbours(versions, r.version);
        return [`release ${r.name}: chart ${r.chart} ${r.version} is not published in ${r.repo}${near.length ? ` (published near it: ${near.join(", ")})` : ""}; pin a published version`];
    });
}

/** The two published versions below and above `version`. */
export function neighbours(versions: string[], version: string): string[] {
    const target = parseVersion(version);
    if (!target) return versions.slice(0, 4);
    const sorted = versions.filter((v) => parseVersion(v) && parseVersion(v)![3] === "").sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
    const at = sorted.findIndex((v) => compareVersions(parseVersion(v)!, target) > 0);
    const i = at < 0 ? sorted.length : at;
    return sorted.slice(Math.max(0, i - 2), i + 2);
}

// ---------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------

/** Services an operator creates at run time from a rendered custom resource: CloudNativePG's `<cluster>-rw/-ro/-r` on 5432. */
export function runtimeServices(files: Rendered): { source: string; m: Manifest }[] {
    return objectsOf(files)
        .filter(({ m }) => m.kind === "Cluster" && m.apiVersion.startsWith("postgresql.cnpg.io/"))
        .flatMap(({ source, m }) =>
            ["rw", "ro", "r"].map((suffix) => ({
                source: `${source} (CloudNativePG operator)`,
                m: { apiVersion: "v1", kind: "Service", metadata: { name: `${m.metadata.name}-${suffix}`, namespace: m.metadata.namespace }, spec: { ports: [{ port: 5432 }] } } as Manifest,
            })),
        );
}

/** Every stack output endpoint `svc.ns.svc.cluster.local:port` names a Service and port that exists. */
export function checkEndpoints(files: Rendered): string[] {
    const outputs = YAML.parse(files.get("outputs.yaml") ?? "{}") as { endpoints?: Record<string, string> };
    const services = [...objectsOf(files).filter(({ m }) => m.kind === "Service"), ...runtimeServices(files)];
    return Object.entries(outputs.endpoints ?? {}).flatMap(([name, endpoint]) => {
        const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/.exec(endpoint);
        if (!m) return [`endpoint ${name} = "${endpoint}" is not <service>.<namespace>.svc.cluster.local:<port>`];
        const [, svc, ns, port] = m;
        const found = services.find(({ m: s }) => s.metadata.name === svc && s.metadata.namespace === ns);
        if (!found) {
            const inNs = services.filter(({ m: s }) => s.metadata.namespace === ns).map(({ m: s }) => s.metadata.name);
            return [`endpoint ${name} = ${endpoint}: no Service ${svc} in namespace ${ns} (there: ${inNs.join(", ") || "none"})`];
        }
        const ports = ((found.m.spec as { ports?: { port: number }[] } | undefined)?.ports ?? []).map((p) => p.port);
        return ports.includes(Number(port)) ? [] : [`endpoint ${name} = ${endpoint}: Service ${ns}/${svc} (${found.source}) has ports ${ports.join(", ")}, not ${port}`];
    });
}

// ---------------------------------------------------------------------------
// Pod Security
// ---------------------------------------------------------------------------


/** The pod template of a workload manifest (Deployment … CronJob, Pod). */
export function podOf(m: Manifest): { metadata: Record<string, unknown>; spec: Record<string, unknown> } | undefined {
    const spec = m.spec as Record<string, any> | undefined;
    if (!spec) return undefined;
    if (m.kind === "Pod") return { metadata: m.metadata as Record<string, unknown>, spec };
    if (m.kind === "CronJob") return spec.jobTemplate?.spec?.template;
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(m.kind)) return spec.template;
    return undefined;
}

/** Every pod template of the stack, plus the pods charts create at run time from their config (runtimePods). */
export function podsOf(files: Rendered): PodToJudge[] {
    const pods: PodToJudge[] = [];
    for (const { source, m } of objectsOf(files)) {
        const pod = podOf(m);
        if (pod) pods.push({ id: `${source}: ${m.kind} ${m.metadata.namespace}/${m.metadata.name}`, namespace: m.metadata.namespace ?? "default", metadata: pod.metadata ?? {}, spec: pod.spec });
    }
    return [...pods, ...runtimePods(files)];
}

/** The enforced Pod Security level and version of each namespace the program creates. */
export function namespaceLevels(files: Rendered): Map<string, { level: string; version: string }> {
    const levels = new Map<string, { level: string; version: string }>();
    for (const { source, m } of objectsOf(files)) {
        if (source !== "program" || m.kind !== "Namespace") continue;
        const labels = m.metadata.labels ?? {};
        levels.set(m.metadata.name, { level: labels["pod-security.kubernetes.io/enforce"] ?? "privileged", version: labels["pod-security.kubernetes.io/enforce-version"] ?? "latest" });
    }
    return levels;
}

/** A Pod Security judge: the upstream checks (tools/pod-security) or a stand-in in tests. */
export type PodSecurityJudge = (requests: { id: string; level: string; version: string; metadata: Record<string, unknown>; spec: Record<string, unknown> }[]) => { id: string; allowed: boolean; reasons?: string[]; error?: string }[];

/** Every pod passes the Pod Security level its namespace enforces. */
export function checkPodSecurity(files: Rendered, judge: PodSecurityJudge): string[] {
    const levels = namespaceLevels(files);
    const problems: string[] = [];
    const requests = podsOf(files).flatMap((p) => {
        const lv = levels.get(p.namespace);
        if (!lv) {
            problems.push(`${p.id}: namespace ${p.namespace} is not created by the program, so no Pod Security level is known`);
            return [];
        }
        return [{ id: p.id, level: lv.level, version: lv.version, metadata: p.metadata, spec: p.spec }];
    });
    for (const r of judge(requests)) {
        if (r.error) problems.push(`${r.id}: ${r.error}`);
        else if (!r.allowed) {
            const req = requests.find((q) => q.id === r.id)!;
            problems.push(`${r.id} violates Pod Security "${req.level}:${req.version}": ${(r.reasons ?? []).join("; ")}`);
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------
// The policy pack's workload rules over chart workloads
// ---------------------------------------------------------------------------

/** The pack's rules that judge a chart's workloads. */
export const CHART_WORKLOAD_RULES: readonly Rule[] = [containerResources, imagePinned, probes, nonRoot];

/** A chart object as the pack's rules see it: type `kubernetes:<group/version>:<Kind>`, name `<release>/<Kind>/<name>`. */
export function toView(release: string, m: Manifest): ResourceView {
    const group = m.apiVersion.includes("/") ? m.apiVersion : `core/${m.apiVersion}`;
    return { type: `kubernetes:${group}:${m.kind}`, name: `${release}/${m.kind}/${m.metadata.name}`, props: m as unknown as Record<string, unknown> };
}

/** The pack's workload rules over every chart workload, honouring the per-chart exemptions. */
export function checkChartWorkloads(files: Rendered, exemptions: readonly ChartExemption[]): { problems: string[]; exempted: string[] } {
    const chartOf = new Map(releasesOf(files).map((r) => [r.name, r.chart]));
    const views = objectsOf(files)
        .filter(({ source }) => source !== "program")
        .map(({ source, m }) => ({ chart: chartOf.get(source) ?? source, object: `${m.kind}/${m.metadata.name}`, view: toView(source, m) }))
        .filter(({ view }) => isWorkload(view));
    const { violations } = evaluate(views.map((v) => v.view), CHART_WORKLOAD_RULES, []);
    const problems: string[] = [];
    const exempted: string[] = [];
    for (const v of violations) {
        const w = views.find((x) => x.view.name === v.name)!;
        const hit = exemptions.find((e) => e.chart === w.chart && e.rule === v.rule && objectMatches(e.object, w.object));
        (hit ? exempted : problems).push(`${v.name}: ${v.rule}: ${v.message}${hit ? ` (exempt: ${hit.reason})` : ""}`);
    }
    return { problems, exempted };
}

/** Images of custom resources an operator turns into pods: CloudNativePG `Cluster.spec.imageName`, prometheus-operator `Prometheus`/`Alertmanager` `spec.image`. */
export function operatorImages(files: Rendered): { id: string; image: string }[] {
    return objectsOf(files).flatMap(({ source, m }) => {
        const spec = (m.spec ?? {}) as { imageName?: string; image?: string };
        const id = `${source}: ${m.kind} ${m.metadata.namespace}/${m.metadata.name}`;
        if (m.kind === "Cluster" && m.apiVersion.startsWith("postgresql.cnpg.io/") && spec.imageName) return [{ id, image: spec.imageName }];
        if (["Prometheus", "Alertmanager"].includes(m.kind) && m.apiVersion.startsWith("monitoring.coreos.com/") && spec.image) return [{ id, image: spec.image }];
        return [];
    });
}

/** The pack's image-pinned rule over the images operators run from the rendered custom resources. */
export function checkOperatorImages(files: Rendered): string[] {
    return operatorImages(files).flatMap(({ id, image }) => {
        const problem = imagePinProblem(image);
        return problem ? [`${id}: image-pinned: image "${image}" ${problem}`] : [];
    });
}

/** Ineffective keys of every release, less those allowed with a reason. */
export function checkKeys(files: Rendered, allowed: readonly KeyAllowance[], cache?: string): string[] {
    return releasesOf(files).flatMap((r) =>
        releaseIneffectiveKeys(r, cache)
            .filter((k) => !allowed.some((a) => a.chart === r.chart && a.key === k))
            .map((k) => `release ${r.name} (${r.chart} ${r.version}): values key ${k} is neither declared in the chart's values.yaml nor read by its templates; remove it, or list it in scripts/charts/exemptions.ts with its reason`),
    );
}

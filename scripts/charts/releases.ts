/*
 * The Helm releases of a rendered stack (out/<stack>/helm/*.yaml) and what
 * their real charts make of the program's values (`helm template` with the
 * cached chart), written to out/<stack>/charts/<release>.yaml.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { SECRET_SENTINELS } from "../lib/leaks";
import type { RegisteredResource } from "../lib/offlineEngine";
import { REDACTED, unwrapSecrets } from "../lib/secrets";
import { ChartPin, chartTgz, helmBin } from "./cache";

/** One Helm release as the program registers it. */
export interface Release extends ChartPin {
    name: string;
    namespace: string;
    values: Record<string, unknown>;
}

/** Reads a rendered helm/<release>.yaml (an OCI chart is "oci://…/<chart>" with no repositoryOpts). */
export function parseRelease(text: string): Release {
    const r = YAML.parse(text) as { name: string; namespace: string; chart: string; version: string; repositoryOpts?: { repo: string }; values?: Record<string, unknown> };
    let repo = r.repositoryOpts?.repo;
    let chart = r.chart;
    if (!repo && chart.startsWith("oci://")) {
        repo = chart.slice(0, chart.lastIndexOf("/"));
        chart = chart.slice(chart.lastIndexOf("/") + 1);
    }
    if (!repo) throw new Error(`release ${r.name}: no chart repository`);
    return { name: r.name, namespace: r.namespace, chart, repo, version: r.version, values: r.values ?? {} };
}

/**
 * The releases of a rendered file set: "charts/<name>.values.yaml" (values
 * with stand-in secrets) where --manifests wrote them, else "helm/<name>.yaml".
 */
export function releasesOf(files: Map<string, string>): Release[] {
    const withValues = [...files.entries()].filter(([k]) => k.startsWith("charts/") && k.endsWith(".values.yaml"));
    const source = withValues.length > 0 ? withValues : [...files.entries()].filter(([k]) => k.startsWith("helm/"));
    return source.map(([, v]) => parseRelease(v)).sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether a rendered file is a chart's manifest stream (charts/<release>.yaml). */
export function isChartManifest(file: string): boolean {
    return file.startsWith("charts/") && !file.endsWith(".values.yaml");
}

/** Replaces every string holding an offline secret stand-in by `<redacted>`, so no stand-in reaches a manifest. */
export function standInSecrets(v: unknown): unknown {
    if (typeof v === "string") return SECRET_SENTINELS.some((s) => v.includes(s)) ? REDACTED : v;
    if (Array.isArray(v)) return v.map(standInSecrets);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, standInSecrets(x)]));
    return v;
}

/** The Helm releases the program registered, values unwrapped with secrets as `<redacted>` stand-ins. */
export function releasesOfRegistered(registered: RegisteredResource[]): Release[] {
    return registered
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
        .map((r) => parseRelease(YAML.stringify(standInSecrets(unwrapSecrets(r.inputs)))))
        .sort((a, b) => a.name.localeCompare(b.name));
}

/** API groups the program installs (CRDs) that charts test with `.Capabilities.APIVersions.Has`. */
export const API_VERSIONS = ["monitoring.coreos.com/v1", "postgresql.cnpg.io/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"];

/** The Kubernetes version a stack runs ("v1.33.5+k3s1" -> "v1.33.5"). */
export function kubeVersion(k3sVersion: string): string {
    return k3sVersion.replace(/\+.*$/, "");
}

/** `helm template` of one release with its cached chart; returns the manifest stream. */
export function templateRelease(release: Release, opts: { kubeVersion: string; cache?: string }): string {
    const tgz = chartTgz(release, opts.cache);
    if (!fs.existsSync(tgz)) throw new Error(`release ${release.name}: ${release.chart} ${release.version} is not in the chart cache (${tgz}); fill it with npm run charts`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-values-"));
    try {
        const valuesFile = path.join(dir, "values.json");
        fs.writeFileSync(valuesFile, JSON.stringify(release.values));
        const args = ["template", release.name, tgz, "--namespace", release.namespace, "--values", valuesFile, "--kube-version", opts.kubeVersion, "--include-crds=false"];
        for (const api of API_VERSIONS) args.push("--api-versions", api);
        return execFileSync(helmBin(), args, { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] }).toString();
    } catch (e) {
        const err = e as Error & { stderr?: Buffer };
        throw new Error(`release ${release.name} (${release.chart} ${release.version}): helm template failed: ${err.stderr?.toString().trim() ?? err.message}`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * What a chart generates afresh on every render, masked so that a render is
 * reviewable and repeatable: every Secret's data (charts such as z2jh fill
 * tokens with randAlphaNum; no secret belongs in out/ anyway) and every
 * `checksum/*` annotation (derived from those).
 */
export function maskGenerated(stream: string): string {
    return YAML.parseAllDocuments(stream)
        .map((doc) => {
            const js = doc.toJS() as Manifest | null;
            if (js && js.kind === "Secret") {
                for (const field of ["data", "stringData"]) {
                    const data = js[field] as Record<string, unknown> | undefined;
                    for (const key of Object.keys(data ?? {})) doc.setIn([field, key], REDACTED);
                }
            }
            for (const at of [["metadata"], ["spec", "template", "metadata"], ["spec", "jobTemplate", "spec", "template", "metadata"]]) {
                const annotations = doc.getIn([...at, "annotations"]) as YAML.YAMLMap | undefined;
                if (!YAML.isMap(annotations)) continue;
                for (const item of annotations.items) {
                    const key = String(YAML.isScalar(item.key) ? item.key.value : item.key);
                    if (key.startsWith("checksum/")) annotations.set(item.key, "<checksum>");
                }
            }
            return doc.toString();
        })
        .map((text) => (text.startsWith("---") ? text : `---\n${text}`))
        .join("");
}

/** A Kubernetes object of a manifest stream. */
export interface Manifest {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    [k: string]: unknown;
}

/** Parses a manifest stream; objects without a namespace get the release's. */
export function parseManifests(text: string, namespace?: string): Manifest[] {
    return YAML.parseAllDocuments(text)
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => !!m && typeof m === "object" && typeof m.kind === "string")
        .map((m) => (namespace && !m.metadata.namespace && !CLUSTER_SCOPED.has(m.kind) ? { ...m, metadata: { ...m.metadata, namespace } } : m));
}

const CLUSTER_SCOPED = new Set(["ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PriorityClass", "StorageClass", "PersistentVolume", "APIService"]);

/** Renders every release into files "charts/<release>.yaml". */
export function renderChartFiles(releases: Release[], k3sVersion: string, cache?: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const release of releases) {
        const { name, namespace, chart, repo, version, values } = release;
        out.set(`charts/${name}.values.yaml`, YAML.stringify({ name, namespace, chart, version, repositoryOpts: { repo }, values }));
        out.set(`charts/${name}.yaml`, maskGenerated(templateRelease(release, { kubeVersion: kubeVersion(k3sVersion), cache })));
    }
    return out;
}

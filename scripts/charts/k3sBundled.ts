/*
 * What k3s itself brings that the front door configures, for the chart layer
 * and the e2e suite (which run no k3s): Traefik's chart, which k3s v1.33.5
 * bundles as 34.2.1+up34.2.0 (the upstream 34.2.0 chart with its CRDs split
 * into a traefik-crd chart, Traefik v3.3.6), and helm-controller's
 * HelmChartConfig CRD (the v0.16 line k3s 1.33 embeds). Both are read from
 * upstream sources: the chart cache and the helm-controller mirror.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as YAML from "yaml";
import { chartTgz, ChartPin, fillCache, sourceGitDir } from "./cache";
import type { Manifest } from "./releases";

/** The upstream chart k3s repackages as traefik-34.2.1+up34.2.0. */
export const K3S_TRAEFIK_CHART: ChartPin = { repo: "https://traefik.github.io/charts", chart: "traefik", version: "34.2.0" };
/** helm-controller's HelmChartConfig CRD, at the release of the line k3s 1.33 embeds. */
export const K3S_HELM_CONTROLLER = { github: "k3s-io/helm-controller", tag: "v0.16.13", crd: "pkg/crds/yaml/generated/helm.cattle.io_helmchartconfigs.yaml" };

/** Traefik's chart in the cache (packaged from its source mirror when missing); its path. */
export async function traefikChart(cache?: string): Promise<string> {
    const tgz = chartTgz(K3S_TRAEFIK_CHART, cache);
    if (!fs.existsSync(tgz)) {
        const [r] = await fillCache([K3S_TRAEFIK_CHART], { dir: cache });
        if (r.error) throw new Error(`traefik ${K3S_TRAEFIK_CHART.version}: ${r.error}`);
    }
    return tgz;
}

/** Traefik's own CRDs (traefik.io: Middleware, IngressRoute, …) from the chart's crds/ directory. */
export function traefikCrds(tgz: string): Manifest[] {
    const list = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).split("\n").filter((f) => /^traefik\/crds\/traefik\.io_.*\.yaml$/.test(f));
    return list.flatMap((f) => YAML.parseAllDocuments(execFileSync("tar", ["-xzOf", tgz, f], { encoding: "utf8", maxBuffer: 1 << 28 })).map((d) => d.toJS() as Manifest).filter(Boolean));
}

/** helm-controller's HelmChartConfig CRD, from its source repository at the pinned tag. */
export function helmChartConfigCrd(): Manifest {
    const text = execFileSync("git", ["--git-dir", sourceGitDir(K3S_HELM_CONTROLLER.github), "show", `${K3S_HELM_CONTROLLER.tag}:${K3S_HELM_CONTROLLER.crd}`], { encoding: "utf8" });
    return YAML.parseAllDocuments(text).map((d) => d.toJS() as Manifest).find((m) => m?.kind === "CustomResourceDefinition") as Manifest;
}

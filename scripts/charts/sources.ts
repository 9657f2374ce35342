/*
 * Where each chart repository the program (or a chart it installs) names can
 * be had without the internet: the chart's source repository on GitHub, the
 * tag a release of a chart carries, the chart's directory at that tag, and
 * the branch + path that hold the repository's published index.yaml.
 *
 * Facts only (names, tag formats, paths); nothing fetched is committed.
 */
import { repoKey, repoSlug } from "../../config/chartIndex";

export { repoKey, repoSlug };

/** How to build one chart repository's charts from their source repository. */
export interface ChartSource {
    /** GitHub owner/name of the source repository (the `fetch` tool's mirror name). */
    github: string;
    /** The tag a published chart version carries. */
    tag: (chart: string, version: string) => string;
    /** The chart's directory inside the repository at that tag. */
    dir: (chart: string) => string;
    /** `branch:path` of the published index.yaml, when the repository keeps it. */
    index?: string;
    /**
     * Charts built by chartpress carry placeholder versions in git; the
     * release sets the chart version and every image tag to the tag's version.
     */
    chartpress?: boolean;
    /**
     * Charts whose Chart.yaml holds v0.0.0 in git (cert-manager): the
     * release tool sets `version` and `appVersion` (the images' default tag)
     * to the tag's version.
     */
    versionFromTag?: boolean;
}

const BITNAMI: ChartSource = {
    github: "bitnami/charts",
    tag: (c, v) => `${c}/${v}`,
    dir: (c) => `bitnami/${c}`,
    index: "index:bitnami/index.yaml",
};

/** Chart repository URL (no trailing slash) -> source. */
export const CHART_SOURCES: Record<string, ChartSource> = {
    "https://helm.otwld.com": { github: "otwld/ollama-helm", tag: (c, v) => `${c}-${v}`, dir: () => ".", index: "gh-pages:index.yaml" },
    "https://cloudnative-pg.github.io/charts": { github: "cloudnative-pg/charts", tag: (c, v) => `${c}-v${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    "https://cloudnative-pg.github.io/grafana-dashboards": { github: "cloudnative-pg/grafana-dashboards", tag: (c, v) => `${c}-v${v}`, dir: (c) => `charts/${c}` },
    "https://rocketchat.github.io/helm-charts": { github: "RocketChat/helm-charts", tag: (c, v) => `${c}-${v}`, dir: (c) => c, index: "gh-pages:index.yaml" },
    "https://prometheus-community.github.io/helm-charts": { github: "prometheus-community/helm-charts", tag: (c, v) => `${c}-${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    "https://grafana-community.github.io/helm-charts": { github: "grafana-community/helm-charts", tag: (c, v) => `${c}-${v}`, dir: (c) => `charts/${c}` },
    "https://grafana.github.io/helm-charts": { github: "grafana/helm-charts", tag: (c, v) => `${c}-${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    "https://hub.jupyter.org/helm-chart": { github: "jupyterhub/zero-to-jupyterhub-k8s", tag: (_c, v) => v, dir: (c) => c, chartpress: true },
    "https://kubernetes-sigs.github.io/headlamp": { github: "kubernetes-sigs/headlamp", tag: (_c, v) => `headlamp-helm-${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    "https://nats-io.github.io/k8s/helm/charts": { github: "nats-io/k8s", tag: (c, v) => `${c}-${v}`, dir: (c) => `helm/charts/${c}` },
    // charts.longhorn.io's index lives in longhorn/charts (gh-pages); the mirror at hand stops at 1.6.0
    // (Feb 2024), so the index is made of longhorn/longhorn's release tags, whose chart/ is the release.
    "https://charts.longhorn.io": { github: "longhorn/longhorn", tag: (_c, v) => `v${v}`, dir: () => "chart" },
    // charts.min.io is minio/minio's master branch: index.yaml and helm-releases/*.tgz.
    "https://charts.min.io": { github: "minio/minio", tag: (c, v) => `${c}-${v}`, dir: () => "helm/minio", index: "master:index.yaml" },
    // MetalLB: the v<version> release tags carry the chart at its version (the metallb-chart-* tags' Chart.yaml says 0.0.0); gh-pages keeps the index.
    "https://metallb.github.io/metallb": { github: "metallb/metallb", tag: (_c, v) => `v${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    // k8s_gateway: gh-pages keeps the index and each packaged chart.
    "https://k8s-gateway.github.io/k8s_gateway": { github: "k8s-gateway/k8s_gateway", tag: (c, v) => `${c}-${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    // CloudPirates' OCI charts: released from CloudPirates-io/helm-charts tags `<chart>-<version>`; gh-pages keeps the index.
    "oci://registry-1.docker.io/cloudpirates": { github: "CloudPirates-io/helm-charts", tag: (c, v) => `${c}-${v}`, dir: (c) => `charts/${c}`, index: "gh-pages:index.yaml" },
    // traefik.github.io/charts: traefik/traefik-helm-chart's tags v<version>. k3s bundles this chart (repackaged as
    // <version>+up<version>, CRDs split out); the chart layer renders it with the HelmChartConfig's values (test/charts/frontDoor.test.ts).
    "https://traefik.github.io/charts": { github: "traefik/traefik-helm-chart", tag: (_c, v) => `v${v}`, dir: (c) => c },
    // charts.jetstack.io: cert-manager's release tag `v<x.y.z>` is the chart version; make sets Chart.yaml's version and appVersion (make/manifests.mk).
    "https://charts.jetstack.io": { github: "cert-manager/cert-manager", tag: (_c, v) => v, dir: () => "deploy/charts/cert-manager", versionFromTag: true },
    "oci://registry-1.docker.io/bitnamicharts": BITNAMI,
    "https://charts.bitnami.com/bitnami": BITNAMI,
};


/** The source of a chart repository, or a clear error naming the repository and the fix. */
export function chartSource(repo: string): ChartSource {
    const source = CHART_SOURCES[repoKey(repo)];
    if (!source) {
        throw new Error(`chart repository ${repo} has no offline source; add it to CHART_SOURCES in scripts/charts/sources.ts (or fill the cache online: npm run charts -- --online)`);
    }
    return source;
}


import { HELM_CHART_V4, HELM_RELEASE, obj } from "../core/k8s";
import { isUnknown, type ResourceRule } from "../core/types";

/** An exact chart version: 1.2.3, v1.2.3, 1.2.3-rc.1 — no ranges (^ ~ x * >=), no empty string. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

/** A chart given as a directory or archive next to the program. */
export function isLocalChart(chart: string): boolean {
    return chart.startsWith("./") || chart.startsWith("../") || chart.startsWith("/") || chart.endsWith(".tgz");
}

export const helmReleasePinned: ResourceRule = {
    scope: "resource",
    name: "helm-release-pinned",
    description: "Every Helm release names an exact chart version and where it comes from: repositoryOpts.repo, an oci:// chart reference, or a local chart path.",
    reason: "Without a version Helm installs whatever the repo serves today; without a repo it resolves the chart name against the user's local `helm repo` list. Either way a re-run is not reproducible.",
    anchor: "picluster DESIGN (pin everything); Helm `--version`; kube-score stable-version in spirit",
    enforcementLevel: "mandatory",
    appliesTo: (r) => r.type === HELM_RELEASE || r.type === HELM_CHART_V4,
    validate(r) {
        if (r.type !== HELM_RELEASE && r.type !== HELM_CHART_V4) return [];
        const { chart, version } = r.props;
        if (isUnknown(chart) || isUnknown(version)) return [];
        if (typeof chart !== "string" || chart === "") return ["sets no chart"];
        if (isLocalChart(chart)) return [];
        const out: string[] = [];
        const repo = obj(r.props.repositoryOpts)?.repo;
        if (!chart.startsWith("oci://") && !(typeof repo === "string" && repo !== "") && !isUnknown(repo)) {
            out.push(`chart "${chart}" has no repositoryOpts.repo; name the chart repository (or use an oci:// reference)`);
        }
        if (typeof version !== "string" || !EXACT_VERSION.test(version)) {
            out.push(`chart "${chart}" version ${version === undefined ? "is not set" : `"${String(version)}" is not exact`}; pin it, e.g. version: "1.2.3"`);
        }
        return out;
    },
};

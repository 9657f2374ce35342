import { stringLeaves } from "../core/k8s";
import type { ResourceRule } from "../core/types";

/**
 * Tokens that float: a value that is just `latest`, an image or package
 * reference ending in `:latest`/`@latest`, or an assignment `X=latest`.
 * Text that merely mentions latest (a CEL rule refusing `:latest`) is not a token.
 */
export function latestTokens(value: string): string[] {
    if (value.trim().toLowerCase() === "latest") return [value.trim()];
    return value
        .split(/[\s"'`(),;[\]{}|]+/)
        .filter((t) => /^[A-Za-z0-9][\w.\-/]*[:@]latest$/i.test(t) || /^[A-Za-z_][\w.-]*=latest$/i.test(t));
}

export const noLatest: ResourceRule = {
    scope: "resource",
    name: "no-latest",
    description: "No input of any resource — labels, Helm values, commands included — refers to `latest` (a bare `latest`, `image:latest`, `pkg@latest`, `X=latest`).",
    reason: "`latest` changes meaning under the user's feet: the same program gives a different cluster next month, and the preview cannot show it.",
    anchor: "Checkov CKV_K8S_14; kube-score container-image-tag; Polaris tagNotSpecified (generalised to every input)",
    enforcementLevel: "mandatory",
    appliesTo: () => true,
    validate: (r) =>
        stringLeaves(r.props).flatMap(({ path, value }) => latestTokens(value).map((t) => `${path} = "${t}" floats; pin an exact version`)),
};

import { kindOf, metadataOf, stringMap } from "../core/k8s";
import type { ResourceRule } from "../core/types";

const PREFIX = "pod-security.kubernetes.io/";
const LEVELS = new Set(["privileged", "baseline", "restricted"]);

export const namespacePodSecurity: ResourceRule = {
    scope: "resource",
    name: "namespace-pod-security",
    description:
        "Every namespace carries pod-security.kubernetes.io/enforce = baseline or restricted; any audit/warn labels name a valid level. `privileged` needs an explicit exemption with its reason.",
    reason: "Pod Security admission is the cluster-side backstop for what this pack cannot see (pods rendered by Helm charts); a namespace without the label admits anything.",
    anchor: "PSS / Pod Security Admission namespace labels (enforce, audit, warn)",
    enforcementLevel: "mandatory",
    appliesTo: (r) => kindOf(r) === "Namespace",
    validate(r) {
        if (kindOf(r) !== "Namespace") return [];
        const labels = stringMap(metadataOf(r).labels);
        const out: string[] = [];
        const enforce = labels[`${PREFIX}enforce`];
        if (enforce === undefined) out.push(`no ${PREFIX}enforce label; set it to restricted (or baseline)`);
        else if (!LEVELS.has(enforce)) out.push(`${PREFIX}enforce is "${enforce}", not one of restricted, baseline, privileged`);
        else if (enforce === "privileged") out.push(`${PREFIX}enforce is "privileged" (admits anything); exempt this namespace explicitly with the reason`);
        for (const mode of ["audit", "warn"]) {
            const v = labels[`${PREFIX}${mode}`];
            if (v !== undefined && !LEVELS.has(v)) out.push(`${PREFIX}${mode} is "${v}", not a Pod Security level`);
        }
        return out;
    },
};

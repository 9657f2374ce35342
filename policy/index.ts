/**
 * The picluster CrossGuard pack: `pulumi preview --policy-pack policy`
 * (`npm run preview`). This file only wires the rules in ./rules into
 * CrossGuard; the logic, the exemptions and their tests live elsewhere
 * (docs/policy.md).
 */
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { DeclaredInputs } from "./core/declared";
import { annotationProblems, EXEMPT_ANNOTATION, exemptionFor } from "./core/exemptions";
import { metadataOf, obj } from "./core/k8s";
import { fromCrossGuard } from "./core/fromCrossGuard";
import type { ResourceRule, StackRule } from "./core/types";
import { exemptions } from "./exemptions";
import { allRules, ruleNames } from "./rules";

/** Inputs seen by `validateResource`, for the stack rules (core/declared.ts). */
const declared = new DeclaredInputs();

function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        remediationSteps: rule.reason,
        validateResource(args, reportViolation) {
            const view = fromCrossGuard(args);
            if (!rule.appliesTo(view)) return;
            const messages = rule.validate(view);
            if (messages.length === 0) return;
            const reason = exemptionFor(rule.name, view, exemptions);
            if (reason) {
                args.notApplicable(`exempt: ${reason}`);
                return;
            }
            for (const m of messages) reportViolation(m);
        },
    };
}

function stackPolicy(rule: StackRule): StackValidationPolicy {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        remediationSteps: rule.reason,
        validateStack(args, reportViolation) {
            const views = declared.apply(args.resources.map(fromCrossGuard));
            for (const v of rule.validate(views)) {
                if (exemptionFor(rule.name, v.resource, exemptions)) continue;
                reportViolation(v.message, v.resource.urn);
            }
        },
    };
}

/**
 * An exemption annotation that names no rule or gives no reason is itself a
 * violation. Runs on every resource, so it also records the declared inputs.
 */
const wellFormedExemptions: ResourceValidationPolicy = {
    name: "exemption-annotation",
    description: `Every ${EXEMPT_ANNOTATION} annotation reads "<rule>: <reason>" and names a rule of this pack.`,
    enforcementLevel: "mandatory",
    validateResource(args, reportViolation) {
        const view = fromCrossGuard(args);
        declared.record(view);
        const value = obj(metadataOf(view).annotations)?.[EXEMPT_ANNOTATION];
        if (typeof value !== "string") return;
        for (const p of annotationProblems(value, ruleNames)) reportViolation(`${EXEMPT_ANNOTATION}: ${p}`);
    },
};

new PolicyPack("picluster", {
    description: "picluster: workload hardening (PSS restricted, kube-score, Polaris, Checkov), Helm pinning and secret hygiene",
    policies: [...allRules.map((r) => (r.scope === "resource" ? resourcePolicy(r) : stackPolicy(r))), wellFormedExemptions],
});

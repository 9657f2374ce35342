import { exemptionFor, type Exemption } from "./exemptions";
import type { EnforcementLevel, ResourceView, Rule } from "./types";

export interface Finding {
    rule: string;
    enforcementLevel: EnforcementLevel;
    type: string;
    name: string;
    message: string;
}

export interface Exempted {
    rule: string;
    type: string;
    name: string;
    reason: string;
}

/**
 * Runs every rule over every resource the way the pack does (resource rules
 * one by one, stack rules over the whole list), honouring exemptions. Tests
 * use it on a stack built under mocks; the pack itself calls the rules
 * through CrossGuard (index.ts), which applies exemptions the same way.
 */
export function evaluate(
    resources: readonly ResourceView[],
    rules: readonly Rule[],
    exemptions: readonly Exemption[],
): { violations: Finding[]; exempted: Exempted[] } {
    const violations: Finding[] = [];
    const exempted: Exempted[] = [];
    const record = (rule: Rule, r: ResourceView, messages: string[]) => {
        if (messages.length === 0) return;
        const reason = exemptionFor(rule.name, r, exemptions);
        if (reason) {
            exempted.push({ rule: rule.name, type: r.type, name: r.name, reason });
            return;
        }
        for (const message of messages) violations.push({ rule: rule.name, enforcementLevel: rule.enforcementLevel, type: r.type, name: r.name, message });
    };
    for (const rule of rules) {
        if (rule.scope === "resource") {
            for (const r of resources) if (rule.appliesTo(r)) record(rule, r, rule.validate(r));
        } else {
            const byResource = new Map<ResourceView, string[]>();
            for (const v of rule.validate(resources)) byResource.set(v.resource, [...(byResource.get(v.resource) ?? []), v.message]);
            for (const [r, messages] of byResource) record(rule, r, messages);
        }
    }
    return { violations, exempted };
}

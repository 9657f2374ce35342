import { arr, at, kindOf, obj } from "../core/k8s";
import { isUnknown, type ResourceRule } from "../core/types";

/** The hosts of an Ingress's rules (unknown ones left out). */
function ruleHosts(props: Record<string, unknown>): string[] {
    return arr(at(props, "spec.rules"))
        .map((r) => obj(r)?.host)
        .filter((h): h is string => typeof h === "string");
}

export const routeTls: ResourceRule = {
    scope: "resource",
    name: "route-tls",
    description: "Every Ingress serves each of its hosts over TLS: a spec.tls entry lists the host and names the Secret with its certificate (a rule without a host is refused too).",
    reason: "A route without TLS sends logins (Grafana's, the basic-auth password) and session cookies in clear text across the LAN and its Wi-Fi.",
    anchor: "picluster DESIGN (the front door: every route gets a certificate); OWASP ASVS V9 (communications) in spirit",
    enforcementLevel: "mandatory",
    appliesTo: (r) => kindOf(r) === "Ingress",
    validate(r) {
        if (kindOf(r) !== "Ingress") return [];
        const rules = at(r.props, "spec.rules");
        const tls = at(r.props, "spec.tls");
        if (isUnknown(rules) || isUnknown(tls)) return [];
        const out: string[] = [];
        if (arr(rules).some((x) => obj(x)?.host === undefined)) out.push("has a rule without a host: it would answer every name the controller serves, with no certificate for any; give each rule a host");
        const covered = new Set(
            arr(tls)
                .filter((t) => typeof obj(t)?.secretName === "string" && obj(t)?.secretName !== "")
                .flatMap((t) => arr(obj(t)?.hosts).filter((h): h is string => typeof h === "string")),
        );
        for (const host of ruleHosts(r.props)) {
            if (!covered.has(host)) out.push(`serves ${host} without TLS: add spec.tls { hosts: [${host}], secretName } (the front door makes one with a cert-manager Certificate)`);
        }
        return out;
    },
};

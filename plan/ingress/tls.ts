import type * as pulumi from "@pulumi/pulumi";
import { NAMESPACE, type SecretReader } from "../../config/load";
import { shownSecretName } from "../../config/messages";
import type { NetworkSpec } from "../../config/schema/network";
import { ACME_ISSUER, CA_ISSUER } from "./names";
import type { PlannedRoute } from "./routes";

/*
 * Which ClusterIssuer signs the routes' certificates, and whether it can:
 * the private CA always can; ACME needs its DNS provider's token and
 * names a public CA can validate.
 */

/** The issuer every route's Certificate names. */
export type IssuerPlan =
    | { kind: "ca"; name: string; commonName: string }
    | { kind: "acme"; name: string; email: string; server: string; dns01: { provider: "cloudflare"; apiToken: pulumi.Output<string> } };

/**
 * Top-level domains no public CA issues for: special-use and private
 * names (RFC 6761, RFC 8375's home.arpa, ICANN's .internal) and the
 * suffixes home networks make up.
 */
const PRIVATE_SUFFIXES = ["home.arpa", "local", "localhost", "internal", "test", "invalid", "example", "lan", "home", "localdomain", "corp", "intranet", "private"];

/** The private suffix a host ends in, if any. */
export function privateSuffix(host: string): string | undefined {
    return PRIVATE_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
}

/** The issuer, with every setting that cannot work as a problem (the token missing or in plain text, a name ACME cannot validate). */
export function planIssuer(network: NetworkSpec, stack: string, routes: PlannedRoute[], secrets: SecretReader, problems: string[]): IssuerPlan {
    const tls = network.tls;
    if (tls.issuer === "ca" || !tls.acme) return { kind: "ca", name: CA_ISSUER, commonName: `picluster ${stack} CA` };
    const at = `${NAMESPACE}:network.tls.acme.dns01.apiTokenKey`;
    const key = tls.acme.dns01.apiTokenKey;
    const token = secrets(key);
    if ("problem" in token) problems.push(`${at} = ${shownSecretName(key)}: ${token.problem}`);
    for (const r of routes.filter((x) => !x.ownCertificate)) {
        const suffix = privateSuffix(r.host);
        if (suffix) {
            problems.push(
                `${NAMESPACE}:network.tls.issuer = "acme": ${r.owner} routes ${r.host}, under .${suffix}, which no public CA issues for; use a domain you own in public DNS, or issuer: ca (the private CA)`,
            );
        }
    }
    return {
        kind: "acme",
        name: ACME_ISSUER,
        email: tls.acme.email,
        server: tls.acme.server,
        dns01: { provider: "cloudflare", apiToken: "value" in token ? token.value : (undefined as never) },
    };
}

import { z } from "zod";
import { ingressHost, pinnedVersion } from "./common";
import { chartRepo } from "./services";

/** `a.b.c.d-e.f.g.h` or `a.b.c.d/nn`: the two forms MetalLB's IPAddressPool takes. */
export const ADDRESS_RANGE = /^\d{1,3}(\.\d{1,3}){3}(-\d{1,3}(\.\d{1,3}){3}|\/\d{1,2})$/;

/** The MetalLB chart the pool is served by (docs/decisions.md, "The front door"). */
export const METALLB_CHART = { chart: "metallb", version: "0.16.1", repo: "https://metallb.github.io/metallb" } as const;

/**
 * Addresses for `LoadBalancer` Services: MetalLB in L2 mode hands them out
 * from this pool and answers ARP for each from one node. k3s's ServiceLB
 * must be off (cluster.server.disable: [servicelb]).
 */
export const loadBalancerSchema = z.strictObject({
    /** Ranges (`192.168.1.240-192.168.1.250`) or CIDRs (`192.168.1.240/28`) inside cluster.lanCidr, outside DHCP. */
    addresses: z
        .array(z.string().regex(ADDRESS_RANGE, "must be an IPv4 range such as 192.168.1.240-192.168.1.250 or a CIDR such as 192.168.1.240/28"))
        .min(1, "must list at least one range, e.g. [192.168.1.240-192.168.1.250]"),
    version: pinnedVersion.default(METALLB_CHART.version),
    repo: chartRepo.default(METALLB_CHART.repo),
});

/** The k8s_gateway chart LAN DNS is served by (docs/decisions.md, "The front door"). */
export const LAN_DNS_CHART = { chart: "k8s-gateway", version: "3.7.2", repo: "https://k8s-gateway.github.io/k8s_gateway" } as const;

/**
 * DNS for `network.domain` on the LAN: k8s_gateway answers `<host>.<domain>`
 * with the address of the route (Ingress) or LoadBalancer Service that
 * carries that host, on a fixed address from the pool, where the router
 * forwards the zone (docs/operations.md).
 */
export const lanDnsSchema = z.strictObject({
    /** The DNS server's address: one of network.loadBalancer.addresses, fixed so the router can forward to it. */
    address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "must be an IPv4 address from network.loadBalancer.addresses, e.g. 192.168.1.240"),
    version: pinnedVersion.default(LAN_DNS_CHART.version),
    repo: chartRepo.default(LAN_DNS_CHART.repo),
});

/** A DNS domain the UIs live under: lowercase labels, at least two, no wildcard. */
const domainName = z
    .string()
    .refine((d) => d === d.toLowerCase(), { message: "has uppercase letters; write the domain in lowercase, e.g. lab.example.org" })
    .refine((d) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(d) && d.length <= 200, {
        message: "is not a domain such as lab.example.org or pi.home.arpa (two labels or more, no scheme, no trailing dot)",
    });

/** The name of a secret config key under `picluster:`. */
const secretKeyName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must name a secret config key under picluster:, e.g. cloudflareApiToken");

/** Letsencrypt's production directory: what `tls.acme.server` defaults to. */
export const LETSENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";

/** ACME (Let's Encrypt by default) with a DNS-01 solver: certificates browsers trust, for a domain you own. */
const acmeSchema = z.strictObject({
    /** The account's contact address (expiry notices). */
    email: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "must be an e-mail address such as admin@example.org"),
    /** The ACME directory URL. */
    server: z.string().regex(/^https:\/\/\S+$/, "must be an https:// ACME directory URL").default(LETSENCRYPT_PRODUCTION),
    /** How the CA checks you own the domain: a TXT record written through the DNS provider's API. */
    dns01: z.discriminatedUnion(
        "provider",
        [
            z.strictObject({
                provider: z.literal("cloudflare"),
                /** Secret config key holding a Cloudflare API token with Zone:DNS:Edit on the domain's zone. */
                apiTokenKey: secretKeyName,
            }),
        ],
        { error: "must be { provider: cloudflare, apiTokenKey: <secret config key> }" },
    ),
});

/** cert-manager, the jetstack chart (its CRDs installed by the chart). */
const certManagerSchema = z
    .strictObject({
        // renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
        version: pinnedVersion.default("v1.21.1"),
        repo: chartRepo.default("https://charts.jetstack.io"),
        /** Per-stack Helm values deep-merged over the program's. */
        values: z.record(z.string(), z.unknown()).default({}),
        timeoutSeconds: z.number().int().min(60).max(3600).default(600),
    })
    .prefault({});

export const tlsIssuers = ["ca", "acme"] as const;

/** Every route's certificate: from a private CA made in the cluster (default), or from ACME. */
const tlsSchema = z
    .strictObject({
        issuer: z.enum(tlsIssuers, { error: "must be ca (a private CA for the LAN) or acme (Let's Encrypt, DNS-01)" }).default("ca"),
        acme: acmeSchema.optional(),
        certManager: certManagerSchema,
    })
    .superRefine((t, ctx) => {
        if (t.issuer === "acme" && t.acme === undefined) {
            ctx.addIssue({ code: "custom", path: ["acme"], message: "is required with issuer acme: set { email, dns01: { provider: cloudflare, apiTokenKey: <secret config key> } }" });
        }
    })
    .prefault({});

/** One UI's route: `false` for none, or its own host and whether the basic-auth login goes in front. */
const routeOverride = z.union([
    z.literal(false),
    z.strictObject({
        host: ingressHost.optional(),
        /** Put the generated basic-auth login in front even of a UI with its own (true), or leave a login-less UI open (false: only with auth.required false). */
        auth: z.boolean().optional(),
    }),
]);

/** The basic-auth login in front of UIs that have none. */
const authSchema = z
    .strictObject({
        /** Refuse any route to a UI without a login (default true). */
        required: z.boolean().default(true),
        user: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "must be a user name such as admin (lowercase letters, digits, '_' and '-')").default("admin"),
    })
    .prefault({});

export const networkSchema = z
    .strictObject({
        /** A pool of LAN addresses for `LoadBalancer` Services (MetalLB, L2). */
        loadBalancer: loadBalancerSchema.optional(),
        /** A DNS server for `domain` on a pool address (k8s_gateway), for the router to forward the zone to. */
        dns: lanDnsSchema.optional(),
        /**
         * The domain every web UI is routed under (`grafana.<domain>`,
         * `chat.<domain>`, …; plan/ingress); without it no UI gets a route
         * (apps still may, through `apps[].ingress.host`).
         */
        domain: domainName.optional(),
        /** Per UI, by route name (`grafana`, `chat`, `prometheus`, a catalog entry's): another host, or `false` for no route. */
        routes: z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a route name such as grafana or chat"), routeOverride).default({}),
        /** Every route's certificate: a private CA (default) or ACME. */
        tls: tlsSchema,
        /** The generated login in front of UIs that have none. */
        auth: authSchema,
    })
    .prefault({});

export type LoadBalancerSpec = z.output<typeof loadBalancerSchema>;
export type NetworkSpec = z.output<typeof networkSchema>;
export type AcmeSpec = NonNullable<NetworkSpec["tls"]["acme"]>;
export type RouteOverride = z.output<typeof routeOverride>;

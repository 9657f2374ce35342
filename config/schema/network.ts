import { z } from "zod";
import { pinnedVersion } from "./common";
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

export const networkSchema = z
    .strictObject({
        /** A pool of LAN addresses for `LoadBalancer` Services (MetalLB, L2). */
        loadBalancer: loadBalancerSchema.optional(),
    })
    .prefault({});

export type LoadBalancerSpec = z.output<typeof loadBalancerSchema>;
export type NetworkSpec = z.output<typeof networkSchema>;

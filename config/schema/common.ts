import { z } from "zod";
import { BYTE_QUANTITY, CPU_QUANTITY } from "../quantity";

/** Kubernetes object names (RFC 1123 label): lowercase alphanumerics and '-', at most 63. */
export const dnsLabel = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit")
    .max(63, "must be at most 63 characters");

const labelNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `key` is a valid Kubernetes label/taint key (`[prefix/]name`). */
export function isLabelKey(key: string): boolean {
    const parts = key.split("/");
    if (parts.length > 2) return false;
    const name = parts[parts.length - 1];
    if (name.length === 0 || name.length > 63 || !labelNamePart.test(name)) return false;
    if (parts.length === 2) {
        const prefix = parts[0];
        if (prefix.length === 0 || prefix.length > 253 || !dnsSubdomain.test(prefix)) return false;
    }
    return true;
}

/** True when `value` is a valid Kubernetes label value (may be empty). */
export function isLabelValue(value: string): boolean {
    return value === "" || (value.length <= 63 && labelNamePart.test(value));
}

/**
 * Kubernetes labels. Keys and values are checked one by one (rather than by
 * z.record's key schema) so each bad entry gets its own message and path.
 */
export const labels = z.record(z.string(), z.string()).superRefine((record, ctx) => {
    for (const [key, value] of Object.entries(record)) {
        if (!isLabelKey(key)) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                message: "is not a valid Kubernetes label key: use [prefix/]name, name ≤ 63 chars of [A-Za-z0-9-_.] starting and ending alphanumeric, prefix a lowercase DNS name",
            });
        } else if (!isLabelValue(value)) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                message: "is not a valid Kubernetes label value: ≤ 63 chars of [A-Za-z0-9-_.] starting and ending alphanumeric, or empty",
            });
        }
    }
});

/** A CPU quantity such as `500m`, `2` or `1.5`. */
export const cpuQuantity = z
    .union([z.number().positive(), z.string()])
    .transform((v) => String(v))
    // A YAML number such as 1e-7 becomes "1e-7", which no Kubernetes quantity parser reads.
    .pipe(z.string().regex(CPU_QUANTITY, "must be a CPU quantity such as 500m, 1 or 1.5 (write small values in millicores, e.g. 100m)"));

/** A memory/storage quantity such as `512Mi`, `8Gi` or `1G`. */
export const byteQuantity = z
    .string()
    .regex(BYTE_QUANTITY, "must be a quantity such as 512Mi, 8Gi or 20G");

export const resourceList = z.strictObject({ cpu: cpuQuantity.optional(), memory: byteQuantity.optional() });

export const resources = z.strictObject({
    requests: resourceList.optional(),
    limits: resourceList.optional(),
});

/** A semantic version pin: `1.2.3` or `v1.2.3`, no ranges and no channels. */
export const pinnedVersion = z
    .string()
    .regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, "must be an exact version such as 1.2.3 (ranges, channels and 'latest' are not allowed)");

/**
 * A container image reference pinned by tag or digest. `latest`, a missing
 * tag, and floating major-only tags are refused so that a re-run never
 * pulls something new behind the user's back.
 */
export const pinnedImage = z.string().superRefine((ref, ctx) => {
    const problem = imagePinProblem(ref);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Returns why `ref` is not a pinned image reference, or undefined when it is. */
export function imagePinProblem(ref: string): string | undefined {
    if (/\s/.test(ref) || ref.length === 0) return "must be an image reference such as redis:7.4.1-alpine";
    if (/@sha256:[a-f0-9]{64}$/.test(ref)) return undefined;
    const lastSlash = ref.lastIndexOf("/");
    const colon = ref.indexOf(":", lastSlash + 1);
    if (colon < 0) return `has no tag; pin it, e.g. ${ref}:1.2.3 or ${ref}@sha256:<digest>`;
    const tag = ref.slice(colon + 1);
    if (tag === "latest" || tag === "stable" || tag === "main" || tag === "edge") return `uses the floating tag '${tag}'; pin an exact version`;
    if (!/\d+\.\d+/.test(tag)) return `tag '${tag}' is not an exact version (needs at least major.minor, e.g. 7.4 or 7.4.1)`;
    return undefined;
}

export const hostname = z.string().refine(
    (h) =>
        /^(\d{1,3})(\.\d{1,3}){3}$/.test(h)
            ? // A leading zero (192.168.001.022) reads as octal to some resolvers and reaches another machine.
              h.split(".").every((o) => Number(o) <= 255 && !(o.length > 1 && o.startsWith("0")))
            : /^[0-9a-fA-F:]+$/.test(h) && h.includes(":")
              ? true
              : /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/.test(h),
    { message: "is not a valid hostname, IPv4 or IPv6 address (write IPv4 octets without leading zeros, e.g. 192.168.1.22)" },
);

/**
 * An Ingress host: a lowercase DNS name, not an IP address (Kubernetes
 * refuses both uppercase and IPs in `spec.rules[].host`); `*.` allowed first.
 */
export const ingressHost = z
    .string()
    .refine((h) => !/^[\d.]+$/.test(h) && !h.includes(":"), { message: "is an IP address; an Ingress host must be a DNS name such as chat.example.org" })
    .refine((h) => h === h.toLowerCase(), { message: "has uppercase letters; Ingress hosts must be lowercase, e.g. chat.example.org" })
    .refine((h) => /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h) && h.length <= 253, {
        message: "is not a DNS name such as chat.example.org",
    });

/** A StorageClass name; empty would silently mean "no dynamic provisioning". */
export const storageClassName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must name a StorageClass such as local-path (an empty name disables dynamic provisioning)");

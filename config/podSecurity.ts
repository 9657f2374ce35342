/** Pod Security Standards levels, strictest first. */
export const podSecurityLevels = ["restricted", "baseline", "privileged"] as const;
export type PodSecurityLevel = (typeof podSecurityLevels)[number];

/** The least strict of several levels: a namespace shared by two workloads must admit both. */
export function leastStrict(...levels: PodSecurityLevel[]): PodSecurityLevel {
    return levels.reduce((a, b) => (podSecurityLevels.indexOf(b) > podSecurityLevels.indexOf(a) ? b : a), "restricted");
}

/** The node architectures picluster supports: the x86-64 server and Raspberry Pi agents. */
export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

/** The error text the schema gives for anything else. */
export const ARCH_HINT = "must be 'amd64' (x86-64) or 'arm64' (Raspberry Pi)";

/**
 * Kubernetes resource quantities: the one definition of what a CPU or memory
 * quantity looks like, used by the config schema (to refuse what later code
 * could not read) and by the capacity check (to add them up).
 */

/** `500m`, `2`, `1.5`: what the schema accepts and parseCpu reads. */
export const CPU_QUANTITY = /^(\d+(\.\d+)?|\d+m)$/;
/** `512Mi`, `8Gi`, `1G`, `1024`. */
export const BYTE_QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const BYTE_UNITS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** Parses a CPU quantity (`500m`, `2`, `1.5`, 2) into cores. */
export function parseCpu(q: string | number): number {
    if (typeof q === "number") return q;
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a CPU quantity such as 500m or 2`);
    return m[2] === "m" ? Number(m[1]) / 1000 : Number(m[1]);
}

/** Parses a memory quantity (`512Mi`, `8Gi`, `1G`, `1024`) into bytes. */
export function parseBytes(q: string): number {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
    if (!m) throw new Error(`'${q}' is not a memory quantity such as 512Mi or 8Gi`);
    return Number(m[1]) * BYTE_UNITS[m[2] ?? ""];
}

export function formatCpu(cores: number): string {
    return Number.isInteger(cores) ? String(cores) : cores < 1 ? `${Math.round(cores * 1000)}m` : cores.toFixed(2).replace(/0$/, "");
}

export function formatBytes(bytes: number): string {
    const gi = bytes / 2 ** 30;
    if (gi >= 1) return `${Number.isInteger(gi) ? gi : gi.toFixed(1)}Gi`;
    return `${Math.round(bytes / 2 ** 20)}Mi`;
}

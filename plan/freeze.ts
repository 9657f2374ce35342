/**
 * Freezes a plan in place: every plain object and array, recursively. Class
 * instances (Pulumi Outputs, secrets) are left as they are: they carry their
 * own state. Components get a plan they cannot change by accident.
 */
export function deepFreeze<T>(value: T): T {
    if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
    const proto = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
    return value;
}

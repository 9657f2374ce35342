import { obj, type ContainerRef } from "./k8s";

/** A container's effective setting: its own securityContext wins over the pod's (as the kubelet applies them). */
export function effective(ref: ContainerRef, podSpec: Record<string, unknown>, field: string): unknown {
    const own = obj(ref.c.securityContext)?.[field];
    return own !== undefined && own !== null ? own : obj(podSpec.securityContext)?.[field];
}

export function containerSecurity(ref: ContainerRef): Record<string, unknown> {
    return obj(ref.c.securityContext) ?? {};
}

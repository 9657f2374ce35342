/*
 * The front door's routes against what the charts and the program make: each
 * rendered Ingress must reach a Service that exists, on a port it has.
 */
import { objectsOf, runtimeServices } from "./checks";
import type { Rendered } from "./types";

interface Backend {
    ingress: string;
    namespace: string;
    service: string;
    port: number | string;
}

/** Every backend of every Ingress the program renders (k8s/<ns>/ingress-*.yaml). */
export function routeBackends(files: Rendered): Backend[] {
    return objectsOf(files)
        .filter(({ source, m }) => source === "program" && m.kind === "Ingress")
        .flatMap(({ m }) => {
            const rules = ((m.spec as { rules?: { http?: { paths?: { backend?: { service?: { name: string; port: { number?: number; name?: string } } } }[] } }[] } | undefined)?.rules ?? []);
            return rules.flatMap((r) =>
                (r.http?.paths ?? []).flatMap((p) => (p.backend?.service ? [{ ingress: `${m.metadata.namespace}/${m.metadata.name}`, namespace: m.metadata.namespace ?? "default", service: p.backend.service.name, port: p.backend.service.port.number ?? p.backend.service.port.name ?? "?" }] : [])),
            );
        });
}

/** One line per route whose Service or port does not exist among the rendered objects. */
export function checkRouteBackends(files: Rendered): string[] {
    const services = [...objectsOf(files).filter(({ m }) => m.kind === "Service"), ...runtimeServices(files)];
    return routeBackends(files).flatMap((b) => {
        const found = services.find(({ m }) => m.metadata.name === b.service && m.metadata.namespace === b.namespace);
        if (!found) {
            const there = services.filter(({ m }) => m.metadata.namespace === b.namespace).map(({ m }) => m.metadata.name);
            return [`route ${b.ingress}: no Service ${b.service} in namespace ${b.namespace} (there: ${there.join(", ") || "none"})`];
        }
        const ports = ((found.m.spec as { ports?: { port: number; name?: string }[] } | undefined)?.ports ?? []);
        const ok = ports.some((p) => Number(p.port) === Number(b.port) || p.name === b.port);
        return ok ? [] : [`route ${b.ingress}: Service ${b.namespace}/${b.service} (${found.source}) has ports ${ports.map((p) => p.port).join(", ")}, not ${b.port}`];
    });
}

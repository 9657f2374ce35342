import { isJobLike, label, obj } from "../core/k8s";
import { workloadRule } from "../core/workload";

/** Stable JSON for comparing two probes (key order must not matter). */
function canonical(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    const o = obj(v);
    if (o) return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
    return JSON.stringify(v) ?? "undefined";
}

export const probes = workloadRule({
    name: "probes",
    description: "Every long-running container has a readiness and a liveness probe, and they differ. Jobs and CronJobs are exempt.",
    reason: "Without readiness, traffic reaches pods that are still loading (Ollama models take minutes); without liveness, a hung process is never restarted; identical probes restart a pod that is merely busy instead of taking it out of rotation.",
    anchor: "kube-score pod-probes, pod-probes-identical; Polaris readinessProbeMissing/livenessProbeMissing; Checkov CKV_K8S_8/9",
    enforcementLevel: "mandatory",
    when: (r) => !isJobLike(r),
    check: ({ containers }) =>
        containers
            .filter((ref) => !ref.init)
            .flatMap((ref) => {
                const readiness = obj(ref.c.readinessProbe);
                const liveness = obj(ref.c.livenessProbe);
                const missing = [...(readiness ? [] : ["readinessProbe"]), ...(liveness ? [] : ["livenessProbe"])];
                if (missing.length > 0) return [`${label(ref)} has no ${missing.join(" and no ")}`];
                if (canonical(readiness) === canonical(liveness)) {
                    return [`${label(ref)} has identical readiness and liveness probes; make liveness more lenient (e.g. a higher failureThreshold or a cheaper check)`];
                }
                return [];
            }),
});

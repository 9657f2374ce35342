import { arr, label, obj } from "../core/k8s";
import { workloadRule } from "../core/workload";

/** Environment variable names that hold credentials. */
export const SENSITIVE_ENV = /pass(word|wd|phrase)|secret|token|bearer|api[-_]?key|private[-_]?key|access[-_]?key|credential|database_url|_dsn$/i;

export const envSecretsByReference = workloadRule({
    name: "env-secrets-by-reference",
    description: "Environment variables whose name looks like a credential take their value from a Secret (valueFrom.secretKeyRef), never an inline value.",
    reason: "An inline env value is part of the workload object: readable by anyone who can `get deployment`, shown in diffs and stored in plain Pulumi state.",
    anchor: "Polaris sensitiveContainerEnvVar; Checkov CKV_SECRET_10 (secret keyword)",
    enforcementLevel: "mandatory",
    check: ({ containers }) =>
        containers.flatMap((ref) =>
            arr(ref.c.env)
                .map(obj)
                .filter((e): e is Record<string, unknown> => e !== undefined && typeof e.name === "string" && SENSITIVE_ENV.test(e.name))
                .filter((e) => typeof e.value === "string" && e.value !== "")
                .map((e) => `${label(ref)} sets ${String(e.name)} inline; use valueFrom.secretKeyRef`),
        ),
});

import * as yaml from "js-yaml";
import type { JobTemplateSpec } from "../../config/schema/agents";
import type { OllamaAccess } from "../../plan/services/ollama";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../k8s/hardening";

/** The ServiceAccount every worker Job runs as: no RBAC, no mounted token. */
export const WORKER_SERVICE_ACCOUNT = "worker-agent";
/** Pods with this label are let through the namespace's NetworkPolicy to Ollama. */
export const OLLAMA_ACCESS_LABEL = "picluster.dev/ollama-access";
export const TEMPLATE_LABEL = "picluster.dev/job-template";

/**
 * A plain batch/v1 Job manifest for one worker-agent template. Every field
 * the namespace's admission policy demands is set here, so a Job the
 * orchestrator creates from this template (after giving it a unique name)
 * is admitted unchanged. `ollama`: where the plan found Ollama (a template
 * with `ollama: true` gets its URL as OLLAMA_HOST).
 */
export function jobManifest(template: JobTemplateSpec, namespace: string, ollama?: OllamaAccess): Record<string, unknown> {
    const labels: Record<string, string> = {
        "app.kubernetes.io/name": template.name,
        "app.kubernetes.io/component": "worker-agent",
        "app.kubernetes.io/part-of": "picluster",
        [TEMPLATE_LABEL]: template.name,
    };
    const podLabels = template.ollama ? { ...labels, [OLLAMA_ACCESS_LABEL]: "true" } : labels;
    const env = Object.entries(template.env).map(([name, value]) => ({ name, value }));
    if (template.ollama && ollama && !("OLLAMA_HOST" in template.env)) env.push({ name: "OLLAMA_HOST", value: ollama.url });
    if (template.readOnlyRootFilesystem && !("HOME" in template.env)) env.push({ name: "HOME", value: "/tmp" });

    const container: Record<string, unknown> = {
        name: "agent",
        image: template.image,
        imagePullPolicy: "IfNotPresent",
        ...(template.command ? { command: template.command } : {}),
        ...(template.args ? { args: template.args } : {}),
        ...(env.length > 0 ? { env } : {}),
        resources: template.resources,
        securityContext: restrictedContainerSecurityContext(template.runAsUser, template.readOnlyRootFilesystem),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: template.name, namespace, labels },
        spec: {
            backoffLimit: template.backoffLimit,
            activeDeadlineSeconds: template.activeDeadlineSeconds,
            ttlSecondsAfterFinished: template.ttlSecondsAfterFinished,
            template: {
                metadata: { labels: podLabels },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: WORKER_SERVICE_ACCOUNT,
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: restrictedPodSecurityContext(template.runAsUser),
                    ...(template.arch ? { nodeSelector: { "kubernetes.io/arch": template.arch } } : {}),
                    containers: [container],
                    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
                },
            },
        },
    };
}

/**
 * The Job template as YAML text, ready for `kubectl create -f -`. Pure: the
 * component stores it in a ConfigMap and the offline render command prints it.
 */
export function renderJobTemplate(template: JobTemplateSpec, namespace: string, ollama?: OllamaAccess): string {
    return yaml.dump(jobManifest(template, namespace, ollama), { noRefs: true, lineWidth: -1, sortKeys: false });
}

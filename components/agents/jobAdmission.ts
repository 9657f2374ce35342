import { WORKER_SERVICE_ACCOUNT } from "./jobTemplate";

/** One CEL rule of the worker-Job admission policy. */
export interface JobRule {
    expression: string;
    message: string;
}

/**
 * CEL rules every Job in the worker namespace must satisfy. RBAC can only
 * say "may create Jobs"; these rules say what such a Job may look like, so
 * a compromised or buggy orchestrator cannot run an unbounded, retrying,
 * root, `latest` workload. `variables.containers` covers init containers too.
 *
 * Admission runs after defaulting: an omitted backoffLimit arrives as 6
 * (and is refused). The LimitRange fills in defaults for Pods only, not for
 * a Job's pod template, so a Job without resources is refused here (the e2e
 * suite shows it): orchestrators must set them.
 */
export const JOB_RULES: JobRule[] = [
    {
        expression: "has(object.spec.backoffLimit) && object.spec.backoffLimit >= 0 && object.spec.backoffLimit <= 2",
        message: "spec.backoffLimit must be set to 0, 1 or 2",
    },
    {
        expression: "has(object.spec.activeDeadlineSeconds) && object.spec.activeDeadlineSeconds > 0",
        message: "spec.activeDeadlineSeconds must be set",
    },
    {
        expression: "has(object.spec.ttlSecondsAfterFinished)",
        message: "spec.ttlSecondsAfterFinished must be set so finished Jobs are cleaned up",
    },
    {
        expression: "object.spec.template.spec.restartPolicy == 'Never'",
        message: "spec.template.spec.restartPolicy must be Never",
    },
    {
        expression: `has(object.spec.template.spec.serviceAccountName) && object.spec.template.spec.serviceAccountName == '${WORKER_SERVICE_ACCOUNT}'`,
        message: `spec.template.spec.serviceAccountName must be ${WORKER_SERVICE_ACCOUNT}`,
    },
    {
        expression: "has(object.spec.template.spec.automountServiceAccountToken) && object.spec.template.spec.automountServiceAccountToken == false",
        message: "spec.template.spec.automountServiceAccountToken must be false",
    },
    {
        // A digest, or a tag (after the last '/') that is not latest.
        expression:
            "variables.containers.all(c, c.image.contains('@sha256:') || (c.image.matches(':[^/:]+$') && !c.image.endsWith(':latest')))",
        message: "every container image must be pinned to a version tag or digest (not latest, not untagged)",
    },
    {
        expression:
            "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && has(c.resources.limits) && " +
            "'cpu' in c.resources.requests && 'memory' in c.resources.requests && 'cpu' in c.resources.limits && 'memory' in c.resources.limits)",
        message: "every container must declare cpu and memory requests and limits",
    },
    {
        expression:
            "has(object.spec.template.spec.securityContext) && has(object.spec.template.spec.securityContext.seccompProfile) && " +
            "object.spec.template.spec.securityContext.seccompProfile.type == 'RuntimeDefault'",
        message: "spec.template.spec.securityContext.seccompProfile.type must be RuntimeDefault",
    },
    {
        expression:
            "variables.containers.all(c, has(c.securityContext) && " +
            "has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false && " +
            "has(c.securityContext.runAsNonRoot) && c.securityContext.runAsNonRoot == true && " +
            "(!has(c.securityContext.runAsUser) || c.securityContext.runAsUser != 0) && " +
            "has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop)",
        message: "every container needs a restricted securityContext: allowPrivilegeEscalation false, runAsNonRoot true, runAsUser not 0, capabilities drop ALL",
    },
];

/** All containers of the Job's pod, init containers included. */
export const CONTAINERS_VARIABLE = {
    name: "containers",
    expression:
        "object.spec.template.spec.containers + " +
        "(has(object.spec.template.spec.initContainers) ? object.spec.template.spec.initContainers : [])",
};

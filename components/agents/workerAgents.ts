import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkerAgentsSpec } from "../../config/schema/agents";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { podSecurityLabels, skipAwaitAnnotations } from "../k8s/labels";
import { ollamaEgressRule } from "../k8s/hardening";
import { isolatedNamespace } from "../k8s/namespace";
import { CONTAINERS_VARIABLE, JOB_RULES } from "./jobAdmission";
import { OLLAMA_ACCESS_LABEL, WORKER_SERVICE_ACCOUNT, renderJobTemplate } from "./jobTemplate";
import { scopedKubeconfig } from "./scopedKubeconfig";

export const ORCHESTRATOR_SERVICE_ACCOUNT = "orchestrator";

/** Arguments of {@link WorkerAgents}. */
export interface WorkerAgentsArgs {
    /** The cluster to deploy into; its provider is passed to every resource, its kubeconfig gives server and CA. */
    cluster: ClusterTarget;
    /** The validated `picluster:workerAgents` config. When `enabled` is false nothing is registered. */
    spec: WorkerAgentsSpec;
    /** Do not wait for the quota controller (`services.skipAwait`: an API server without controllers). */
    skipAwait?: boolean;
}

/**
 * The orchestrator's RBAC: manage Jobs and read their pods and logs, in one
 * namespace, nothing else. No patch/update: Jobs are created once and
 * deleted (or expire by TTL).
 */
export const ORCHESTRATOR_RULES = [
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
];

/** Every template rendered to Job YAML, by template name. */
export function renderJobTemplates(spec: WorkerAgentsSpec): Record<string, string> {
    return Object.fromEntries(spec.templates.map((t) => [t.name, renderJobTemplate(t, spec.namespace)]));
}

/**
 * The place where short-lived worker agents (e.g. a CodeReviewer) run as
 * Jobs spawned by an orchestrator outside the cluster: a restricted,
 * quota'd, default-deny namespace; the Job templates; an admission policy
 * that refuses Jobs lacking the guardrails; and a kubeconfig that can only
 * manage Jobs there instead of cluster-admin.
 */
export class WorkerAgents extends pulumi.ComponentResource {
    /** The worker namespace; undefined when disabled. */
    readonly namespace?: pulumi.Output<string>;
    /** Kubeconfig of the orchestrator ServiceAccount (secret); undefined when disabled or not issued. */
    readonly orchestratorKubeconfig?: pulumi.Output<string>;
    /** Job YAML per template name (also in the `job-templates` ConfigMap). */
    readonly jobTemplates: Record<string, string>;

    constructor(name: string, args: WorkerAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:agents:WorkerAgents", name, {}, opts);
        const { spec, cluster } = args;
        this.jobTemplates = spec.enabled ? renderJobTemplates(spec) : {};
        if (!spec.enabled) {
            this.registerOutputs({});
            return;
        }
        const ns = spec.namespace;
        const provider = cluster.provider;
        const labels = { "app.kubernetes.io/part-of": "picluster", "app.kubernetes.io/component": "worker-agents" };

        // --- Network: workers get DNS, and Ollama only when their template asks.
        const namespace = isolatedNamespace(name, { cluster, name: ns, labels: { ...podSecurityLabels("restricted"), ...labels }, policyLabels: labels }, this);
        const inNs = { parent: this, provider, dependsOn: [namespace] };
        const meta = (resourceName: string) => ({ name: resourceName, namespace: ns, labels });
        new k8s.networking.v1.NetworkPolicy(
            `${name}-allow-ollama`,
            {
                metadata: meta("allow-ollama"),
                spec: { podSelector: { matchLabels: { [OLLAMA_ACCESS_LABEL]: "true" } }, policyTypes: ["Egress"], egress: [ollamaEgressRule()] },
            },
            inNs,
        );

        // --- Capacity: bounded in total, defaults for containers that forget.
        new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            {
                metadata: { ...meta("worker-agents"), annotations: skipAwaitAnnotations(args.skipAwait ?? false) },
                spec: {
                    hard: {
                        "requests.cpu": spec.quota.requests.cpu,
                        "requests.memory": spec.quota.requests.memory,
                        "limits.cpu": spec.quota.limits.cpu,
                        "limits.memory": spec.quota.limits.memory,
                        pods: String(spec.quota.pods),
                        "count/jobs.batch": String(spec.quota.jobs),
                    },
                },
            },
            inNs,
        );
        new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: meta("worker-agents"),
                spec: { limits: [{ type: "Container", defaultRequest: spec.quota.containerDefaults.requests, default: spec.quota.containerDefaults.limits }] },
            },
            inNs,
        );

        // --- Identities. Workers: no API access at all.
        new k8s.core.v1.ServiceAccount(`${name}-worker-sa`, { metadata: meta(WORKER_SERVICE_ACCOUNT), automountServiceAccountToken: false }, inNs);

        // --- Guardrails: refuse Jobs without bounds, before the orchestrator can create any.
        const policyName = `${ns}-job-guardrails`;
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            `${name}-job-policy`,
            {
                metadata: { name: policyName, labels },
                spec: {
                    failurePolicy: "Fail",
                    matchConstraints: {
                        resourceRules: [{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs"] }],
                    },
                    variables: [CONTAINERS_VARIABLE],
                    validations: JOB_RULES.map((r) => ({ expression: r.expression, message: r.message })),
                },
            },
            inNs,
        );
        const policyBinding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            `${name}-job-policy-binding`,
            {
                metadata: { name: policyName, labels },
                spec: {
                    policyName: policy.metadata.name,
                    validationActions: ["Deny"],
                    matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } },
                },
            },
            inNs,
        );

        // --- The orchestrator: a namespaced Role, bound only once the guardrails are in place.
        const orchestrator = new k8s.core.v1.ServiceAccount(
            `${name}-orchestrator-sa`,
            { metadata: meta(ORCHESTRATOR_SERVICE_ACCOUNT), automountServiceAccountToken: false },
            inNs,
        );
        const role = new k8s.rbac.v1.Role(`${name}-orchestrator-role`, { metadata: meta(ORCHESTRATOR_SERVICE_ACCOUNT), rules: ORCHESTRATOR_RULES }, inNs);
        new k8s.rbac.v1.RoleBinding(
            `${name}-orchestrator-binding`,
            {
                metadata: meta(ORCHESTRATOR_SERVICE_ACCOUNT),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: orchestrator.metadata.name, namespace: ns }],
            },
            { ...inNs, dependsOn: [namespace, policyBinding] },
        );

        if (spec.issueOrchestratorKubeconfig) {
            // A long-lived token: the orchestrator runs outside the cluster and
            // cannot use projected tokens. Delete this Secret to revoke it.
            const tokenSecret = new k8s.core.v1.Secret(
                `${name}-orchestrator-token`,
                {
                    metadata: { ...meta(`${ORCHESTRATOR_SERVICE_ACCOUNT}-token`), annotations: { "kubernetes.io/service-account.name": ORCHESTRATOR_SERVICE_ACCOUNT } },
                    type: "kubernetes.io/service-account-token",
                },
                { ...inNs, dependsOn: [namespace, orchestrator] },
            );
            this.orchestratorKubeconfig = pulumi.secret(
                pulumi.all([cluster.kubeconfig, tokenSecret.data]).apply(([admin, data]) => {
                    const token = data?.token;
                    if (!token) throw new Error(`the token controller has not filled ${ns}/${ORCHESTRATOR_SERVICE_ACCOUNT}-token`);
                    return scopedKubeconfig(admin, Buffer.from(token, "base64").toString("utf8"), ns, ORCHESTRATOR_SERVICE_ACCOUNT);
                }),
            );
        }

        // --- The templates, for the orchestrator to read (and for humans to diff).
        new k8s.core.v1.ConfigMap(
            `${name}-job-templates`,
            { metadata: meta("job-templates"), data: Object.fromEntries(Object.entries(this.jobTemplates).map(([n, text]) => [`${n}.yaml`, text])) },
            inNs,
        );

        this.namespace = namespace.metadata.name;
        this.registerOutputs({ namespace: this.namespace, orchestratorKubeconfig: this.orchestratorKubeconfig, jobTemplates: this.jobTemplates });
    }
}

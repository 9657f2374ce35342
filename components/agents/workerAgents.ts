import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkerAgentsSpec } from "../../config/schema/agents";
import type { OllamaAccess } from "../../plan/services/ollama";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { podSecurityLabels, skipAwaitAnnotations } from "../k8s/labels";
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
    /** Where Ollama is (the plan's `ollama`); without it no template gets OLLAMA_HOST and no policy opens egress to it. */
    ollama?: OllamaAccess;
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
export function renderJobTemplates(spec: WorkerAgentsSpec, ollama?: OllamaAccess): Record<string, string> {
    return Object.fromEntries(spec.templates.map((t) => [t.name, renderJobTemplate(t, spec.namespace, ollama)]));
}

const LABELS = { "app.kubernetes.io/part-of": "picluster", "app.kubernetes.io/component": "worker-agents" };

/** The worker namespace once it exists: what the phases after it share. */
interface WorkerPlace {
    /** The namespace's name (`spec.namespace`). */
    ns: string;
    namespace: k8s.core.v1.Namespace;
    provider: k8s.Provider;
}

/** A namespaced object's options: the cluster's provider, after the namespace (and `after`). */
function inNs(parent: pulumi.Resource, at: WorkerPlace, after: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent, provider: at.provider, dependsOn: [at.namespace, ...after] };
}

function meta(at: WorkerPlace, resourceName: string) {
    return { name: resourceName, namespace: at.ns, labels: LABELS };
}

/** The isolated namespace: workers get DNS, and Ollama only when their template asks and the plan found one. */
function namespaceAndNetwork(name: string, parent: pulumi.Resource, cluster: ClusterTarget, ns: string, ollama?: OllamaAccess) {
    const namespace = isolatedNamespace(name, { cluster, name: ns, labels: { ...podSecurityLabels("restricted"), ...LABELS }, policyLabels: LABELS }, parent);
    const at: WorkerPlace = { ns, namespace, provider: cluster.provider };
    const allowOllama = ollama
        ? new k8s.networking.v1.NetworkPolicy(
              `${name}-allow-ollama`,
              {
                  metadata: meta(at, "allow-ollama"),
                  spec: { podSelector: { matchLabels: { [OLLAMA_ACCESS_LABEL]: "true" } }, policyTypes: ["Egress"], egress: [ollama.egress] },
              },
              inNs(parent, at),
          )
        : undefined;
    return { at, allowOllama };
}

/** What workers run with: a bounded total, defaults for containers that forget, and an identity with no API access. */
function workers(name: string, parent: pulumi.Resource, spec: WorkerAgentsSpec, at: WorkerPlace, skipAwait: boolean) {
    const quota = new k8s.core.v1.ResourceQuota(
        `${name}-quota`,
        {
            metadata: { ...meta(at, "worker-agents"), annotations: skipAwaitAnnotations(skipAwait) },
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
        inNs(parent, at),
    );
    const limits = new k8s.core.v1.LimitRange(
        `${name}-limits`,
        {
            metadata: meta(at, "worker-agents"),
            spec: { limits: [{ type: "Container", defaultRequest: spec.quota.containerDefaults.requests, default: spec.quota.containerDefaults.limits }] },
        },
        inNs(parent, at),
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-worker-sa`, { metadata: meta(at, WORKER_SERVICE_ACCOUNT), automountServiceAccountToken: false }, inNs(parent, at));
    return { quota, limits, serviceAccount };
}

/** The admission policy that refuses Jobs without bounds, in place before the orchestrator can create any. */
function guardrails(name: string, parent: pulumi.Resource, at: WorkerPlace) {
    const policyName = `${at.ns}-job-guardrails`;
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-job-policy`,
        {
            metadata: { name: policyName, labels: LABELS },
            spec: {
                failurePolicy: "Fail",
                matchConstraints: {
                    resourceRules: [{ apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs"] }],
                },
                variables: [CONTAINERS_VARIABLE],
                validations: JOB_RULES.map((r) => ({ expression: r.expression, message: r.message })),
            },
        },
        inNs(parent, at),
    );
    const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-job-policy-binding`,
        {
            metadata: { name: policyName, labels: LABELS },
            spec: {
                policyName: policy.metadata.name,
                validationActions: ["Deny"],
                matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": at.ns } } },
            },
        },
        inNs(parent, at),
    );
    return { policy, binding };
}

/** The orchestrator's ServiceAccount and namespaced Role, bound only once the guardrails are in place. */
function orchestratorAccess(name: string, parent: pulumi.Resource, at: WorkerPlace, guardrailsBinding: pulumi.Resource) {
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-orchestrator-sa`, { metadata: meta(at, ORCHESTRATOR_SERVICE_ACCOUNT), automountServiceAccountToken: false }, inNs(parent, at));
    const role = new k8s.rbac.v1.Role(`${name}-orchestrator-role`, { metadata: meta(at, ORCHESTRATOR_SERVICE_ACCOUNT), rules: ORCHESTRATOR_RULES }, inNs(parent, at));
    const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-orchestrator-binding`,
        {
            metadata: meta(at, ORCHESTRATOR_SERVICE_ACCOUNT),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: at.ns }],
        },
        inNs(parent, at, [guardrailsBinding]),
    );
    return { serviceAccount, role, binding };
}

/**
 * A long-lived token for the orchestrator, which runs outside the cluster
 * and cannot use projected tokens, and the kubeconfig (secret) built on it.
 * Delete the Secret to revoke it.
 */
function orchestratorKubeconfig(name: string, parent: pulumi.Resource, cluster: ClusterTarget, at: WorkerPlace, serviceAccount: k8s.core.v1.ServiceAccount) {
    const tokenSecret = new k8s.core.v1.Secret(
        `${name}-orchestrator-token`,
        {
            metadata: { ...meta(at, `${ORCHESTRATOR_SERVICE_ACCOUNT}-token`), annotations: { "kubernetes.io/service-account.name": ORCHESTRATOR_SERVICE_ACCOUNT } },
            type: "kubernetes.io/service-account-token",
        },
        inNs(parent, at, [serviceAccount]),
    );
    const kubeconfig = pulumi.secret(
        pulumi.all([cluster.kubeconfig, tokenSecret.data]).apply(([admin, data]) => {
            const token = data?.token;
            if (!token) throw new Error(`the token controller has not filled ${at.ns}/${ORCHESTRATOR_SERVICE_ACCOUNT}-token`);
            return scopedKubeconfig(admin, Buffer.from(token, "base64").toString("utf8"), at.ns, ORCHESTRATOR_SERVICE_ACCOUNT);
        }),
    );
    return { tokenSecret, kubeconfig };
}

/** The templates, for the orchestrator to read (and for humans to diff). */
function templatesConfigMap(name: string, parent: pulumi.Resource, at: WorkerPlace, jobTemplates: Record<string, string>) {
    return new k8s.core.v1.ConfigMap(
        `${name}-job-templates`,
        { metadata: meta(at, "job-templates"), data: Object.fromEntries(Object.entries(jobTemplates).map(([n, text]) => [`${n}.yaml`, text])) },
        inNs(parent, at),
    );
}

/** The WorkerAgents component's type token (npm run deploy finds it in state by it). */
export const WORKER_AGENTS_TYPE = "picluster:agents:WorkerAgents";

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
        super(WORKER_AGENTS_TYPE, name, {}, opts);
        const { spec, cluster } = args;
        this.jobTemplates = spec.enabled ? renderJobTemplates(spec, args.ollama) : {};
        if (!spec.enabled) {
            this.registerOutputs({});
            return;
        }

        const { at } = namespaceAndNetwork(name, this, cluster, spec.namespace, args.ollama);
        workers(name, this, spec, at, args.skipAwait ?? false);
        const guards = guardrails(name, this, at);
        const orchestrator = orchestratorAccess(name, this, at, guards.binding);
        if (spec.issueOrchestratorKubeconfig) {
            this.orchestratorKubeconfig = orchestratorKubeconfig(name, this, cluster, at, orchestrator.serviceAccount).kubeconfig;
        }
        templatesConfigMap(name, this, at, this.jobTemplates);

        this.namespace = at.namespace.metadata.name;
        this.registerOutputs({ namespace: this.namespace, orchestratorKubeconfig: this.orchestratorKubeconfig, jobTemplates: this.jobTemplates });
    }
}

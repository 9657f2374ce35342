import type { ResourceView } from "../../../policy/core/types";

export const CLUSTER_PROVIDER = { type: "pulumi:providers:kubernetes", name: "cluster-k8s" };

/** A container that passes every workload rule. */
export function goodContainer(name = "app"): Record<string, any> {
    return {
        name,
        image: "ghcr.io/example/app:1.4.2",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
        livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 20, failureThreshold: 6 },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
    };
}

/** A pod spec that passes every workload rule. */
export function goodPodSpec(): Record<string, any> {
    return {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [goodContainer()],
    };
}

export function view(type: string, name: string, props: Record<string, any>, extra: Partial<ResourceView> = {}): ResourceView {
    return { type, name, props, provider: CLUSTER_PROVIDER, ...extra };
}

/** A compliant Deployment; `edit` changes the pod spec or the whole props before it is returned. */
export function deployment(
    name = "web",
    opts: { replicas?: number; namespace?: string; pod?: (spec: Record<string, any>) => void; labels?: Record<string, string> } = {},
): ResourceView {
    const spec = goodPodSpec();
    opts.pod?.(spec);
    const labels = opts.labels ?? { app: name };
    return view("kubernetes:apps/v1:Deployment", name, {
        metadata: { name, namespace: opts.namespace ?? "apps" },
        spec: {
            ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec },
        },
    });
}

export function job(name = "migrate", pod?: (spec: Record<string, any>) => void): ResourceView {
    const spec = goodPodSpec();
    delete spec.containers[0].readinessProbe;
    delete spec.containers[0].livenessProbe;
    spec.restartPolicy = "Never";
    pod?.(spec);
    return view("kubernetes:batch/v1:Job", name, { metadata: { name, namespace: "apps" }, spec: { template: { spec } } });
}

export function pdb(name: string, matchLabels: Record<string, string>, namespace = "apps", policy: Record<string, unknown> = { maxUnavailable: 1 }): ResourceView {
    return view("kubernetes:policy/v1:PodDisruptionBudget", name, { metadata: { name, namespace }, spec: { selector: { matchLabels }, ...policy } });
}

export function hpa(name: string, target: string, maxReplicas = 5, namespace = "apps"): ResourceView {
    return view("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name, {
        metadata: { name, namespace },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicas: 2, maxReplicas },
    });
}

export function namespace(name: string, labels: Record<string, string> = { "pod-security.kubernetes.io/enforce": "restricted" }, annotations?: Record<string, string>): ResourceView {
    return view("kubernetes:core/v1:Namespace", name, { metadata: { name, labels, ...(annotations ? { annotations } : {}) } });
}

export function networkPolicy(name: string, ns: string): ResourceView {
    return view("kubernetes:networking/v1:NetworkPolicy", name, { metadata: { name, namespace: ns }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
}

export function release(name: string, props: Record<string, any>): ResourceView {
    return view("kubernetes:helm.sh/v3:Release", name, { name, namespace: "apps", ...props });
}

export const TEST_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material-for-policy-tests\n-----END OPENSSH PRIVATE KEY-----\n";

export function remoteCommand(name: string, props: Record<string, any>, secretPaths?: string[]): ResourceView {
    return {
        type: "command:remote:Command",
        name,
        props: { connection: { host: "10.0.0.1", user: "pi", privateKey: TEST_KEY }, create: "uptime", ...props },
        ...(secretPaths ? { secretPaths: new Set(secretPaths) } : {}),
    };
}

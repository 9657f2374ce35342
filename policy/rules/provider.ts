import type { ResourceRule } from "../core/types";

export const KUBERNETES_PROVIDER = "pulumi:providers:kubernetes";

/** The engine names the providers it creates implicitly `default` or `default_<version>`. */
export function isDefaultProviderName(name: string): boolean {
    return name === "default" || name.startsWith("default_");
}

export const explicitKubernetesProvider: ResourceRule = {
    scope: "resource",
    name: "explicit-kubernetes-provider",
    description: "Every Kubernetes resource (Helm releases included) is bound to an explicit kubernetes provider, never the default one.",
    reason: "The default provider reads the ambient ~/.kube/config: a preview run from a laptop pointed at another cluster would plan changes — or deletions — against the wrong cluster.",
    anchor: "picluster DESIGN (no resource may fall back to the ambient kubeconfig); pulumi-kubernetes provider docs",
    enforcementLevel: "mandatory",
    appliesTo: (r) => r.type.startsWith("kubernetes:"),
    validate(r) {
        if (!r.type.startsWith("kubernetes:")) return [];
        const p = r.provider;
        if (!p) return ["uses the default kubernetes provider (ambient kubeconfig); pass `provider: cluster.provider`"];
        if (p.type !== KUBERNETES_PROVIDER) return [`is bound to a ${p.type} provider, not ${KUBERNETES_PROVIDER}`];
        if (isDefaultProviderName(p.name)) return [`uses the default kubernetes provider "${p.name}" (ambient kubeconfig); pass \`provider: cluster.provider\``];
        return [];
    },
};

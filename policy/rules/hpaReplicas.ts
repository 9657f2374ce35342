import { obj } from "../core/k8s";
import { describe, hpasFor } from "../core/scaling";
import type { StackRule } from "../core/types";

export const hpaWithoutReplicas: StackRule = {
    scope: "stack",
    name: "hpa-no-replicas",
    description: "A Deployment or StatefulSet that a HorizontalPodAutoscaler scales does not set spec.replicas.",
    reason: "Every `pulumi up` would reset the replica count to the declared number, fighting the autoscaler (scale-down spikes, then the HPA scales up again).",
    anchor: "kube-score deployment-targeted-by-hpa-does-not-have-replicas-configured",
    enforcementLevel: "mandatory",
    validate: (resources) =>
        resources.flatMap((r) => {
            const replicas = obj(r.props.spec)?.replicas;
            if (replicas === undefined || replicas === null) return [];
            const hpas = hpasFor(r, resources);
            return hpas.length > 0 ? [{ resource: r, message: `${describe(r)} sets spec.replicas: ${String(replicas)} but an HorizontalPodAutoscaler scales it; drop replicas` }] : [];
        }),
};

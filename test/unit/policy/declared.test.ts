import { describe, expect, it } from "vitest";
import { DeclaredInputs } from "../../../policy/core/declared";
import { hpaWithoutReplicas } from "../../../policy/rules/hpaReplicas";
import type { ResourceView } from "../../../policy/core/types";

const deployment = (props: Record<string, unknown>): ResourceView => ({
    type: "kubernetes:apps/v1:Deployment",
    name: "host",
    urn: "urn:pulumi:e2e::picluster::kubernetes:apps/v1:Deployment::host",
    props: { metadata: { name: "host", namespace: "ns" }, spec: { selector: { matchLabels: { app: "host" } }, ...props } },
});
const hpa: ResourceView = {
    type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    name: "host-hpa",
    urn: "urn:pulumi:e2e::picluster::kubernetes:autoscaling/v2:HorizontalPodAutoscaler::host-hpa",
    props: { metadata: { name: "host", namespace: "ns" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "host" }, minReplicas: 1, maxReplicas: 3 } },
};

describe("stack rules judge declared inputs, not live outputs", () => {
    it("does not blame an HPA-scaled Deployment for the replicas the API server defaulted", () => {
        const live = deployment({ replicas: 1 });
        expect(hpaWithoutReplicas.validate([live, hpa])).toHaveLength(1);
        const declared = new DeclaredInputs();
        declared.record(deployment({}));
        declared.record(hpa);
        expect(hpaWithoutReplicas.validate(declared.apply([live, hpa]))).toEqual([]);
    });

    it("still refuses replicas the program itself declares", () => {
        const declared = new DeclaredInputs();
        declared.record(deployment({ replicas: 2 }));
        expect(hpaWithoutReplicas.validate(declared.apply([deployment({ replicas: 2 }), hpa]))).toHaveLength(1);
    });

    it("keeps the outputs of a resource it never saw", () => {
        const live = deployment({ replicas: 1 });
        expect(new DeclaredInputs().apply([live])).toEqual([live]);
    });
});

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTarget } from "../../../components/cluster/clusterTarget";
import type { NodeSpec } from "../../../config/schema/cluster";
import type { RegisteredResource } from "../../helpers/mocks";
import { unwrapSecrets } from "../../helpers/mocks";

/** An admin kubeconfig as K3sCluster exports it (server already rewritten to apiEndpoint). */
export const ADMIN_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    server: https://192.168.1.10:6443
    certificate-authority-data: Q0EtREFUQQ==
contexts:
- name: default
  context:
    cluster: default
    user: default
current-context: default
users:
- name: default
  user:
    client-certificate-data: QURNSU4tQ0VSVA==
    client-key-data: QURNSU4tS0VZ
`;

/** Stands in for the cluster's "every node Ready" resource. */
class NodesReady extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:NodesReady", name, {});
    }
}

/** A ClusterTarget over a test provider and a dummy "all nodes Ready" resource. */
export function testCluster(nodes: NodeSpec[] = []): ClusterTarget {
    const provider = new k8s.Provider("test-cluster", { kubeconfig: "fake" });
    const ready = new NodesReady("nodes-ready");
    return { provider, readyResources: [ready], kubeconfig: pulumi.secret(ADMIN_KUBECONFIG), nodes };
}

/** The Kubernetes kind of a registered resource type (`kubernetes:apps/v1:Deployment` → `Deployment`). */
export function kindOf(r: RegisteredResource): string {
    return r.type.split(":").pop() as string;
}

/** The one registered resource of `kind` whose metadata.name is `name`. */
export function find(resources: RegisteredResource[], kind: string, name: string): Record<string, any> {
    const hits = resources.filter((r) => kindOf(r) === kind && (unwrapSecrets(r.inputs) as any).metadata?.name === name);
    if (hits.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${hits.length}`);
    return unwrapSecrets(hits[0].inputs) as Record<string, any>;
}

export function ofKind(resources: RegisteredResource[], kind: string): Record<string, any>[] {
    return resources.filter((r) => kindOf(r) === kind).map((r) => unwrapSecrets(r.inputs) as Record<string, any>);
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../config/schema/cluster";

/**
 * What every platform and agent component needs from the cluster: the
 * provider it must pass explicitly to each Kubernetes resource, and what
 * must exist before anything is scheduled.
 */
export interface ClusterTarget {
    /** The provider built from the cluster's kubeconfig; never fall back to the ambient one. */
    provider: k8s.Provider;
    /** Resources that must finish first (every node Ready); use as `dependsOn`. */
    readyResources: pulumi.Resource[];
    /** The admin kubeconfig (secret), for deriving scoped kubeconfigs (server URL, CA). */
    kubeconfig: pulumi.Output<string>;
    /** The declared nodes, for placement and capacity checks (empty when targeting an existing cluster). */
    nodes: NodeSpec[];
}

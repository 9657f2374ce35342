import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../../../plan/cluster";
import type { NodeConnections } from "../connection";
import { NodePreflight } from "./nodePreflight";
import { crossNodeProblems, parsePreflightReport, PreflightError } from "./preflightReport";

/** Every node's pre-flight, and the one verdict every install waits for. */
export interface PreflightGate {
    preflights: Record<string, NodePreflight>;
    /** Resolves once every node passed; fails with every node's problems in one message. */
    passed: pulumi.Output<string>;
}

/** Phase 1: pre-flight on every node in parallel; the verdict also checks across nodes (hostnames, machine-ids). */
export function preflightGate(parent: pulumi.Resource, plan: ClusterPlan, connections: NodeConnections, longhorn: boolean | undefined, after: pulumi.Resource[]): PreflightGate {
    const preflights: Record<string, NodePreflight> = {};
    for (const node of plan.spec.nodes) {
        preflights[node.name] = new NodePreflight(
            node.name,
            { node, cluster: plan.spec, connection: connections.of(node), patientConnection: connections.patient(node), longhorn, after },
            { parent },
        );
    }
    const checks = Object.values(preflights);
    const passed = pulumi.all([pulumi.all(checks.map((p) => p.report)), pulumi.all(checks.map((p) => p.check.urn))]).apply(([reports, urns]) => {
        const parsed = Object.fromEntries(plan.spec.nodes.map((n, i) => [n.name, parsePreflightReport(reports[i])]));
        const problems = crossNodeProblems(parsed);
        if (problems.length > 0) throw new PreflightError(problems, urns);
        return "passed";
    });
    return { preflights, passed };
}

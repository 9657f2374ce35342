import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterPlan } from "../../../plan/cluster";
import type { NodeConnections } from "../connection";
import { scriptCommand } from "../nodeScripts";

/** The name of the ConfigMap in kube-system that says which state owns the cluster. */
export const OWNER_CONFIG_MAP = "picluster-owner";

/** Which state this program runs for: its project/stack, and the backend when the entry point named it. */
export function stateName(): { name: string; backend: string } {
    return { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`, backend: process.env.PULUMI_BACKEND_URL ?? "" };
}

/** The state's claim on its cluster: its id and the check every node step waits for. */
export interface StateOwnership {
    /** A random id made once per state and kept in it: a copy of the stack in another state gets its own. */
    stateId: pulumi.Output<string>;
    /** Runs first, on the first server: claims an unclaimed cluster, refuses one another state owns. */
    check: command.remote.Command;
}

/**
 * Phase 0: ownership. Before pre-flight, the first server's record says
 * which state owns the cluster (owner-check.sh). Runs on create only, like
 * every node step, so a no-op `up` runs nothing; its name and backend are
 * shown, not compared (a migrated state keeps its id).
 */
export function stateOwnership(name: string, parent: pulumi.Resource, plan: ClusterPlan, connections: NodeConnections): StateOwnership {
    const id = new random.RandomId(`${name}-state-id`, { byteLength: 8 }, { parent });
    const { name: owner, backend } = stateName();
    const check = new command.remote.Command(
        `${name}-owner-check`,
        {
            connection: connections.of(plan.firstServer),
            create: id.hex.apply((hex) => scriptCommand("owner-check.sh", { sudo: true, env: { OWNER_ID: hex, OWNER_NAME: owner, OWNER_BACKEND: backend } })),
            addPreviousOutputInEnv: false,
        },
        // The names are shown, not compared: a stack renamed or moved to another backend is still the owner.
        { parent, ignoreChanges: ["create"] },
    );
    return { stateId: id.hex, check };
}

/** The same record in the cluster, for people and tools reading it with kubectl. */
export function ownerRecord(parent: pulumi.Resource, provider: k8s.Provider, ownership: StateOwnership, after: pulumi.Resource[]): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(
        `${OWNER_CONFIG_MAP}`,
        { metadata: { name: OWNER_CONFIG_MAP, namespace: "kube-system" }, data: { stateId: ownership.stateId, state: stateName().name } },
        { parent, provider, dependsOn: after },
    );
}

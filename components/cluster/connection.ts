import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../config/schema/cluster";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

/**
 * SSH connection settings for one node. The private key is always a secret;
 * `hostKey`, when declared, pins the node's identity. `patient` connections
 * keep dialling through a reboot (about ten minutes).
 */
export function nodeConnection(node: NodeSpec, privateKey: pulumi.Output<string>, patient = false): ConnectionArgs {
    return {
        host: node.host,
        port: node.sshPort,
        user: node.user,
        privateKey: pulumi.secret(privateKey),
        ...(node.hostKey ? { hostKey: node.hostKey } : {}),
        dialErrorLimit: patient ? 60 : 10,
        perDialTimeout: patient ? 10 : 15,
    };
}

/** SSH connections to the declared nodes, each with its own key. */
export interface NodeConnections {
    of(node: NodeSpec): ConnectionArgs;
    /** The same, patient: for steps that wait out a reboot. */
    patient(node: NodeSpec): ConnectionArgs;
}

/** Connections from each node's resolved key; a node without one is an invariant broken upstream (the config loader resolves every key). */
export function nodeConnections(nodeKeys: Record<string, pulumi.Output<string>>): NodeConnections {
    const keyOf = (node: NodeSpec) => {
        const key = nodeKeys[node.name];
        if (!key) throw new Error(`invariant: no SSH private key for node ${node.name}`);
        return key;
    };
    return { of: (node) => nodeConnection(node, keyOf(node)), patient: (node) => nodeConnection(node, keyOf(node), true) };
}

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

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../../config/schema/cluster";
import { type RegistriesSpec, registrySecretRefs } from "../../../config/schema/registries";
import { scriptCommand } from "../nodeScripts";
import { registriesBundle } from "./registriesFile";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

export interface NodeRegistriesArgs {
    /** The validated `cluster.registries` block. */
    spec: RegistriesSpec;
    /** Secret values the block refers to (passwordKey, tokenKey), by key. */
    secrets: Record<string, pulumi.Output<string>>;
    /** The nodes in the order a change rolls through them (servers first). */
    nodes: NodeSpec[];
    /** SSH connection to each node, by node name. */
    connections: Record<string, ConnectionArgs>;
    /** Resolves once every node passed pre-flight; the first write waits for it. */
    preflightPassed: pulumi.Output<string>;
}

/**
 * k3s's registries.yaml on every node. One step per node sends the file
 * (and the CA files it names) on stdin only, as a secret; the node script
 * writes them root-owned 0600 and restarts k3s only when they changed,
 * then waits until the node is Ready again. Each node's step waits for the
 * previous node's, so a change rolls through the nodes one at a time; the
 * same settings give the same bytes, so a second `up` runs nothing.
 */
export class NodeRegistries extends pulumi.ComponentResource {
    /** The step of each node, by node name. */
    public readonly steps: Record<string, command.remote.Command> = {};

    constructor(name: string, args: NodeRegistriesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:cluster:NodeRegistries", name, {}, opts);

        const keys = registrySecretRefs(args.spec).map((r) => r.key);
        const bundle = pulumi.secret(
            pulumi.all(keys.map((k) => {
                const value = args.secrets[k];
                if (!value) throw new Error(`NodeRegistries: no value for secret picluster:${k}`);
                return value;
            })).apply((values) => registriesBundle(args.spec, Object.fromEntries(keys.map((k, i) => [k, values[i]])))),
        );

        let previous: command.remote.Command | undefined;
        for (const node of args.nodes) {
            const connection = args.connections[node.name];
            if (!connection) throw new Error(`NodeRegistries: no connection for node ${node.name}`);
            const env = (mode: string) => ({ MODE: mode, ROLE: node.role, NODE_NAME: node.name });
            const step: command.remote.Command = new command.remote.Command(
                `${node.name}-registries`,
                {
                    connection,
                    // The first write waits for the pre-flight verdict, like the install.
                    create: args.preflightPassed.apply(() => scriptCommand("node-registries.sh", { sudo: true, env: env("apply") })),
                    update: scriptCommand("node-registries.sh", { sudo: true, env: env("apply") }),
                    delete: scriptCommand("node-registries.sh", { sudo: true, env: env("remove") }),
                    stdin: bundle,
                    addPreviousOutputInEnv: false,
                },
                { parent: this, dependsOn: previous ? [previous] : [] },
            );
            this.steps[node.name] = step;
            previous = step;
        }
        this.registerOutputs({});
    }
}

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { NodeSpec } from "../../../config/schema/cluster";
import { scriptCommand } from "../nodeScripts";

/**
 * After k3s runs on a `gpu: true` node: checks that k3s found the NVIDIA
 * container toolkit and registered the `nvidia` runtime in its containerd
 * config (the runtime class the device plugin and Ollama use). It fails the
 * `up` with what to install; a reinstall of k3s re-runs it.
 */
export function gpuRuntimeCheck(
    node: NodeSpec,
    connection: command.types.input.remote.ConnectionArgs,
    ready: pulumi.Resource[],
    install: command.remote.Command,
    parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(
        `${node.name}-gpu-runtime`,
        {
            connection,
            // containerd's config is root-only.
            create: scriptCommand("gpu-check.sh", { sudo: true, env: { MODE: "runtime", ...(node.dataDir ? { DATA_DIR: node.dataDir } : {}) } }),
            triggers: [install.id],
            addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: ready },
    );
}

import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "../../config/load";
import { leakedSecrets } from "./leaks";
import { installOfflineMocks, RegisteredResource, resolveOutputs, settle } from "./offlineEngine";
import { renderFiles, RenderedFiles } from "./renderFiles";
import { offlineConfig } from "./stackFile";

/*
 * Building the program without the Pulumi CLI or a cluster: the stack file
 * read as the program would see it (stackFile.ts), the engine replaced by
 * mocks (offlineEngine.ts), and every resource the program registers written
 * out as reviewable files (renderFiles.ts), checked for leaked secrets
 * (leaks.ts). `npm run render -- <stack>`.
 */

export interface RenderOptions {
    /** Directory with Pulumi.<stack>.yaml and the program. */
    root: string;
    stack: string;
    /**
     * Builds the program and returns its stack exports, e.g.
     * `() => require(path.join(root, "index"))`. Called after the mocks and
     * config are installed, once per process.
     */
    program: () => unknown;
    /** Receives every registered resource as well (e.g. to template Helm releases with stand-in secrets). */
    registered?: RegisteredResource[];
}

/** Builds the stack's program offline and returns its rendered files. Throws when a secret leaks. */
export async function renderStack(opts: RenderOptions): Promise<RenderedFiles> {
    const registered: RegisteredResource[] = opts.registered ?? [];
    installOfflineMocks(opts.stack, registered);
    const { config, secretKeys } = offlineConfig(opts.root, opts.stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const exports = await Promise.resolve(opts.program());
    const outputs = (await resolveOutputs(exports ?? {})) as Record<string, unknown>;
    await settle(registered);
    const cluster = JSON.parse(config[`${NAMESPACE}:cluster`] ?? "{}") as { nodes?: { name: string; host: string }[] };
    const files = renderFiles(registered, cluster.nodes ?? [], outputs);
    const leaks = leakedSecrets(files);
    if (leaks.length > 0) {
        throw new Error(`a secret reached plain (unredacted) values in: ${leaks.join(", ")}; wrap it in pulumi.secret where it is built`);
    }
    return files;
}

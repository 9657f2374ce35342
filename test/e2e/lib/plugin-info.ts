/**
 * Asks Pulumi plugin binaries for the version they report to the engine
 * (the `GetPluginInfo` RPC the engine itself calls), one JSON line each:
 *
 *   tsx test/e2e/lib/plugin-info.ts /path/pulumi-resource-random /path/pulumi-language-nodejs ...
 *   {"binary":"/path/pulumi-resource-random","version":"4.21.1"}
 *
 * A plugin prints its gRPC port on its first stdout line; it is stopped once
 * it has answered. Run as a child process by plugins.ts (the e2e suite is
 * synchronous, gRPC is not).
 */
import * as grpc from "@grpc/grpc-js";
import { spawn } from "child_process";
import * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import * as languageRpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";

type InfoCall = (req: emptyPb.Empty, cb: (err: grpc.ServiceError | null, res: pluginPb.PluginInfo) => void) => unknown;

async function versionOf(binary: string): Promise<string> {
    const language = /pulumi-language-/.test(binary);
    // A language host needs an engine address argument; it is not dialled for this call.
    const child = spawn(binary, language ? ["127.0.0.1:1"] : [], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout.on("data", (d: Buffer) => {
                out += d.toString();
                const line = out.split("\n")[0];
                if (out.includes("\n")) {
                    const n = Number(line.trim());
                    if (Number.isInteger(n) && n > 0) resolve(n);
                    else reject(new Error(`${binary} printed '${line}' instead of a port`));
                }
            });
            child.on("exit", (code) => reject(new Error(`${binary} exited ${code} before printing a port: ${stderr.trim()}`)));
            setTimeout(() => reject(new Error(`${binary} printed no port within 60 s`)), 60_000).unref();
        });
        const address = `127.0.0.1:${port}`;
        const client = language
            ? new languageRpc.LanguageRuntimeClient(address, grpc.credentials.createInsecure())
            : new providerRpc.ResourceProviderClient(address, grpc.credentials.createInsecure());
        const call = client.getPluginInfo.bind(client) as InfoCall;
        const info = await new Promise<pluginPb.PluginInfo>((resolve, reject) =>
            call(new emptyPb.Empty(), (err, res) => (err ? reject(err) : resolve(res))),
        );
        client.close();
        return info.getVersion();
    } finally {
        child.kill();
    }
}

async function main(): Promise<void> {
    for (const binary of process.argv.slice(2)) {
        console.log(JSON.stringify({ binary, version: await versionOf(binary) }));
    }
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});

/**
 * The Pulumi binaries an e2e run uses, the version each reports, and the
 * package.json pin it must equal. The engine only warns when a provider's
 * version differs from the SDK's ("kubernetes is expected to have version
 * >=X, but has Y"); the suite fails instead.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** A binary the engine runs and the npm package whose pin it must match. */
export const PLUGINS: readonly { binary: string; pin: string }[] = [
    { binary: "pulumi", pin: "pulumi" },
    { binary: "pulumi-language-nodejs", pin: "@pulumi/pulumi" },
    { binary: "pulumi-resource-kubernetes", pin: "@pulumi/kubernetes" },
    { binary: "pulumi-resource-random", pin: "@pulumi/random" },
    { binary: "pulumi-resource-command", pin: "@pulumi/command" },
];

export interface PluginVersion {
    binary: string;
    path: string;
    version: string;
    pin: string;
    pinned: string;
}

/** `1.2.3` for `v1.2.3` or `1.2.3`. */
export function bareVersion(v: string): string {
    return v.trim().replace(/^v/, "");
}

/** The exact version package.json pins for each npm package. */
export function npmPins(packageJson: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }): Record<string, string> {
    return { ...packageJson.devDependencies, ...packageJson.dependencies };
}

/** The first `name` in the directories of `searchPath`, or undefined. */
export function which(name: string, searchPath: string): string | undefined {
    return searchPath
        .split(":")
        .filter((d) => d !== "")
        .map((d) => path.join(d, name))
        .find((p) => fs.existsSync(p));
}

/** Binaries whose version differs from their pin, one line each. */
export function mismatches(found: PluginVersion[]): string[] {
    return found.filter((p) => p.version !== p.pinned).map((p) => `${p.binary} ${p.version} (${p.path}) but package.json pins ${p.pin} ${p.pinned}`);
}

/**
 * Finds each binary as the engine does (the language host beside `pulumi`
 * first, then PATH) and asks it for its version: `pulumi version`, and the
 * GetPluginInfo RPC for plugins (plugin-info.ts).
 */
export function pluginVersions(searchPath: string): PluginVersion[] {
    const pins = npmPins(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")));
    const located = PLUGINS.map((p) => {
        let where = which(p.binary, searchPath);
        const cli = which("pulumi", searchPath);
        if (p.binary.startsWith("pulumi-language-") && cli) {
            const beside = path.join(path.dirname(fs.realpathSync(cli)), p.binary);
            if (fs.existsSync(beside)) where = beside;
        }
        if (!where) throw new Error(`${p.binary} is not on the toolchain PATH`);
        const pinned = pins[p.pin];
        if (!pinned) throw new Error(`package.json does not pin ${p.pin}`);
        return { ...p, path: where, pinned };
    });
    const versions = new Map<string, string>();
    const cli = located.find((p) => p.binary === "pulumi");
    if (cli) {
        const r = spawnSync(cli.path, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "1" } });
        if (r.status !== 0) throw new Error(`pulumi version failed: ${r.stderr}`);
        versions.set(cli.path, bareVersion(r.stdout));
    }
    const plugins = located.filter((p) => p.binary !== "pulumi").map((p) => p.path);
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, "plugin-info.ts"), ...plugins], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`asking the plugins for their versions failed: ${(r.stderr || r.stdout).trim()}`);
    for (const line of r.stdout.split("\n").filter((l) => l.startsWith("{"))) {
        const { binary, version } = JSON.parse(line) as { binary: string; version: string };
        versions.set(binary, bareVersion(version));
    }
    return located.map((p) => ({ binary: p.binary, path: p.path, pin: p.pin, pinned: p.pinned, version: versions.get(p.path) ?? "(no answer)" }));
}

import * as pulumi from "@pulumi/pulumi";
import { afterRepair, isReimage, neededRepairs, parseObservation, type Desired, type Observed } from "./nodeDrift";

/** Where and how to reach a node over SSH (plain values, inside the provider). */
export interface ObservationConnection {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    /** `ssh-ed25519 AAAA…`: the only key accepted from the node, when declared. */
    hostKey?: string;
}

/** The resource's inputs: what picluster installed, how to look, and how to repair. */
export interface ObservationInputs extends Desired {
    node: string;
    connection: ObservationConnection;
    /** The remote command: node-observe.sh through `sudo -n` (nodeScripts.scriptCommand). */
    command: string;
    /** Always `[]`: no repair pending. The preview shows a node's repairs against it. */
    repairs: string[];
    /** What a repair runs on the node (the reinstall && start command line) and the config it writes (secret, on stdin). */
    repairCommand: string;
    repairConfig: string;
    /** The first server, and what a reimaged node's repair runs there first: its stale Node object and node password removed. */
    primary: ObservationConnection;
    forgetCommand: string;
}

/** What only a repair reads, from the inputs: never kept in the outputs (the key to the first server, the whole install script, the config); the engine keeps the inputs, secrets encrypted. */
type RepairOnly = "repairCommand" | "repairConfig" | "primary" | "forgetCommand";

/**
 * Its state: the inputs but what only a repair reads, the latest
 * observation and the baseline repairs are judged against.
 */
export interface ObservationState extends Omit<ObservationInputs, RepairOnly> {
    observed: Observed;
    /** The machine-id when k3s was installed (or last reinstalled): another one means a reimaged node. */
    baselineMachineId: string;
    /** Bumped each time `up` repaired the node. */
    generation: number;
    /** Bumped each time the repair was a reinstall of a reimaged node. */
    reimageGeneration: number;
    /** What the last repair did. */
    lastRepairs: string[];
}

/** What one remote command did. */
export interface RemoteRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs one command in one SSH session, `stdin` written to it (then closed). */
export type Run = (connection: ObservationConnection, command: string, stdin?: string) => Promise<RemoteRun>;

/** One SSH session, one command, with ssh2 (the host key pinned when declared). */
export function runOverSsh(connection: ObservationConnection, command: string, stdin?: string): Promise<RemoteRun> {
    // Required here, not imported: Pulumi serialises this function into the provider.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("ssh2") as typeof import("ssh2");
    const where = `${connection.user}@${connection.host}:${connection.port}`;
    return new Promise<RemoteRun>((resolve, reject) => {
        const client = new Client();
        const fail = (e: Error) => {
            client.end();
            reject(new Error(`${where}: ${e.message}`));
        };
        const pinned = connection.hostKey ? Buffer.from(connection.hostKey.split(" ")[1], "base64") : undefined;
        client.on("error", fail);
        client.on("ready", () =>
            client.exec(command, (err, stream) => {
                if (err) return fail(err);
                let stdout = "";
                let stderr = "";
                stream.on("data", (d: Buffer) => (stdout += d.toString()));
                stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
                stream.on("close", (code: number | null) => {
                    client.end();
                    resolve({ code, stdout, stderr });
                });
                stream.end(stdin ?? "");
            }),
        );
        client.connect({
            host: connection.host,
            port: connection.port,
            username: connection.user,
            privateKey: connection.privateKey,
            readyTimeout: 15000,
            ...(pinned ? { hostVerifier: (key: Buffer) => key.equals(pinned) } : {}),
        });
    });
}

/** Inputs or state as the state keeps them: without what only a repair reads, nor what older state armed. */
export function kept(o: Record<string, unknown>): Record<string, unknown> {
    const { repairCommand: _c, repairConfig: _k, primary: _p, forgetCommand: _f, armedCommand: _a, armedConfig: _b, ...rest } = o;
    return rest;
}

/**
 * The dynamic provider. `create` and `read` observe (one SSH call, which
 * writes nothing); `read` (only on `--refresh`) records the repairs the node
 * needs, so the preview shows them against `repairs: []`. `update` calls no
 * node unless a refresh found repairs; then it observes again and, if they
 * are still needed, runs the repair: on a reimaged node first the forget
 * command on the first server, then the node's repair command with the
 * config on stdin. A failed command fails the update with its last lines.
 */
export function observationProvider(run: Run = runOverSsh): pulumi.dynamic.ResourceProvider {
    const where = (c: ObservationConnection) => `${c.user}@${c.host}:${c.port}`;
    const observe = async (connection: ObservationConnection, command: string): Promise<Observed> => {
        const r = await run(connection, command);
        if (r.code !== 0) throw new Error(`observing ${where(connection)}: node-observe.sh exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        return parseObservation(r.stdout);
    };
    const mustRun = async (what: string, connection: ObservationConnection, command: string, stdin?: string) => {
        const r = await run(connection, command, stdin);
        if (r.code !== 0) {
            const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-20).join("\n");
            throw new Error(`${what} (${where(connection)}) exited ${r.code}:\n${tail}`);
        }
    };
    const sameInputs = (a: ObservationState, b: ObservationInputs) =>
        JSON.stringify([a.k3sVersion, a.configSha256, a.connection, a.command]) === JSON.stringify([b.k3sVersion, b.configSha256, b.connection, b.command]);
    return {
        async create(inputs: ObservationInputs) {
            const observed = await observe(inputs.connection, inputs.command);
            const outs = { ...kept({ ...inputs }), observed, baselineMachineId: observed.machineId, generation: 0, reimageGeneration: 0, lastRepairs: [] };
            return { id: inputs.node, outs };
        },
        async read(id: string, props: ObservationState) {
            const observed = await observe(props.connection, props.command);
            return { id, props: { ...kept({ ...props }), observed, repairs: neededRepairs(observed, props, props.baselineMachineId) } };
        },
        async diff(_id: string, olds: ObservationState, news: ObservationInputs) {
            const repairsPending = (olds.repairs ?? []).length > 0;
            const changes = repairsPending || !sameInputs(olds, news);
            return { changes, ...(repairsPending ? { detailedDiff: { repairs: { kind: "update" as const } } } : {}) };
        },
        async update(_id: string, olds: ObservationState, news: ObservationInputs) {
            if ((olds.repairs ?? []).length === 0) {
                // No refresh found anything: what picluster installs changed (an
                // upgrade, a new config), and its own steps carry that out. No call
                // to any node; the next refresh observes again.
                return { outs: { ...kept({ ...olds, ...news }), repairs: [] } };
            }
            const observed = await observe(news.connection, news.command);
            const repairs = neededRepairs(observed, news, olds.baselineMachineId);
            if (isReimage(repairs)) await mustRun(`removing ${news.node}'s stale Node object on the first server`, news.primary, news.forgetCommand);
            if (repairs.length > 0) await mustRun(`repairing ${news.node} (${repairs.join("; ")})`, news.connection, news.repairCommand, news.repairConfig);
            const outs = {
                ...kept({ ...news }),
                observed: repairs.length > 0 ? afterRepair(observed, news) : observed,
                // The repair reinstalls a reimaged node: from then on its machine-id is the baseline.
                baselineMachineId: observed.machineId || olds.baselineMachineId,
                generation: olds.generation + (repairs.length > 0 ? 1 : 0),
                reimageGeneration: olds.reimageGeneration + (isReimage(repairs) ? 1 : 0),
                lastRepairs: repairs,
                repairs: [],
            };
            return { outs };
        },
    };
}

// One provider object for every node: Pulumi serialises it once per program run.
let shared: pulumi.dynamic.ResourceProvider | undefined;

/**
 * The process that runs the observations' provider (the `pulumi-nodejs`
 * dynamic-provider host), as an explicit provider with no inputs, so it is
 * registered the moment the program starts. The engine starts a provider's
 * process inside its one step-generation loop, and no other step starts
 * until it answers (0.6 to 0.9 s on the bench). Started by the first
 * observation, as the default provider is, that hold fell where the
 * observation first registers: the server's observation, right when the
 * agents' installs, or an upgrade's first agent batch, were due. Registered
 * at start, it overlaps the pre-flight checks instead.
 */
export class ObservationHost extends pulumi.ProviderResource {
    constructor(name: string, opts?: pulumi.ResourceOptions) {
        super("pulumi-nodejs", name, {}, opts);
    }
}

/** The observation of one node, and its repair, as a resource (`picluster:NodeObservation`, the provider above). */
export class NodeObservation extends pulumi.dynamic.Resource {
    public declare readonly generation: pulumi.Output<number>;
    public declare readonly reimageGeneration: pulumi.Output<number>;
    public declare readonly lastRepairs: pulumi.Output<string[]>;

    constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(
            (shared ??= observationProvider()),
            name,
            { ...args, generation: undefined, reimageGeneration: undefined, lastRepairs: undefined },
            // The key, the config and its hash stay secret in the state; the observation holds that hash too.
            // (repairConfig and armedConfig are outputs only in state written before they were left out.)
            { ...opts, additionalSecretOutputs: ["connection", "configSha256", "observed", "repairConfig", "armedConfig"] },
            "picluster",
            "NodeObservation",
        );
    }
}

import * as pulumi from "@pulumi/pulumi";
import { afterRepair, isReimage, neededRepairs, parseObservation, type Desired, type Observed } from "./nodeDrift";

/** Where and how to reach a node for the read-only observation (plain values, inside the provider). */
export interface ObservationConnection {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    /** `ssh-ed25519 AAAA…`: the only key accepted from the node, when declared. */
    hostKey?: string;
}

/** The resource's inputs: what picluster installed, and how to look. */
export interface ObservationInputs extends Desired {
    node: string;
    connection: ObservationConnection;
    /** The remote command: node-observe.sh through `sudo -n` (nodeScripts.scriptCommand). */
    command: string;
    /** Always `[]`: no repair pending. The preview shows a node's repairs against it. */
    repairs: string[];
    /** What a repair runs now (the reinstall && start command line) and the config it writes (secret). */
    repairCommand: string;
    repairConfig: string;
}

/**
 * Its state: the inputs (but the current repair, which only a bump reads, from
 * the inputs), the latest observation and the baseline repairs are judged
 * against. The repair command is the node's whole install script: stored once
 * here, as armed, not twice.
 */
export interface ObservationState extends Omit<ObservationInputs, "repairCommand" | "repairConfig"> {
    observed: Observed;
    /** The machine-id when k3s was installed (or last reinstalled): another one means a reimaged node. */
    baselineMachineId: string;
    /** Bumped when `up` finds repairs; the repair command runs when it changes. */
    generation: number;
    /** Bumped when the repair is a reinstall of a reimaged node; its stale Node object is deleted first. */
    reimageGeneration: number;
    /** What the last bump was for. */
    lastRepairs: string[];
    /**
     * The repair command and config as of the last bump (or the create): the
     * repair resource takes its inputs from these, so an upgrade or a new
     * config, which change repairCommand/repairConfig, does not run it.
     */
    armedCommand: string;
    armedConfig: string;
}

export type Observe = (connection: ObservationConnection, command: string) => Promise<Observed>;

/** One SSH session, one command: runs the observation and parses its JSON. Writes nothing, anywhere. */
export function observeOverSsh(connection: ObservationConnection, command: string): Promise<Observed> {
    // Required here, not imported: Pulumi serialises this function into the provider.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("ssh2") as typeof import("ssh2");
    const where = `${connection.user}@${connection.host}:${connection.port}`;
    return new Promise<Observed>((resolve, reject) => {
        const client = new Client();
        const fail = (e: Error) => {
            client.end();
            reject(new Error(`observing ${where}: ${e.message}`));
        };
        const pinned = connection.hostKey ? Buffer.from(connection.hostKey.split(" ")[1], "base64") : undefined;
        client.on("error", fail);
        client.on("ready", () =>
            client.exec(command, (err, stream) => {
                if (err) return fail(err);
                let out = "";
                let errText = "";
                stream.on("data", (d: Buffer) => (out += d.toString()));
                stream.stderr.on("data", (d: Buffer) => (errText += d.toString()));
                stream.on("close", (code: number | null) => {
                    client.end();
                    if (code !== 0) return reject(new Error(`observing ${where}: node-observe.sh exited ${code}: ${errText.trim().slice(0, 300)}`));
                    try {
                        resolve(parseObservation(out));
                    } catch (e) {
                        reject(e);
                    }
                });
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

/** The inputs as the outputs keep them: without the current repair command and config. */
const kept = <T extends Partial<ObservationInputs>>({ repairCommand: _command, repairConfig: _config, ...rest }: T) => rest;

const sameInputs = (a: Omit<ObservationInputs, "repairCommand" | "repairConfig">, b: ObservationInputs) =>
    JSON.stringify([a.k3sVersion, a.configSha256, a.connection, a.command]) === JSON.stringify([b.k3sVersion, b.configSha256, b.connection, b.command]);

/**
 * The dynamic provider. `create` and `read` observe (one SSH call);
 * `read` (only on `--refresh`) records the repairs the node needs, so the
 * preview shows them against `repairs: []`; `update` observes again, only
 * when a refresh found repairs, and bumps the generation (arming the
 * current repair command and config) only if they are still needed.
 */
export function observationProvider(observe: Observe = observeOverSsh): pulumi.dynamic.ResourceProvider {
    return {
        async create(inputs: ObservationInputs) {
            const observed = await observe(inputs.connection, inputs.command);
            const outs: ObservationState = {
                ...kept(inputs),
                observed,
                baselineMachineId: observed.machineId,
                generation: 0,
                reimageGeneration: 0,
                lastRepairs: [],
                armedCommand: inputs.repairCommand,
                armedConfig: inputs.repairConfig,
            };
            return { id: inputs.node, outs };
        },
        async read(id: string, props: ObservationState) {
            const observed = await observe(props.connection, props.command);
            return { id, props: { ...kept(props), observed, repairs: neededRepairs(observed, props, props.baselineMachineId) } };
        },
        async diff(_id: string, olds: ObservationState, news: ObservationInputs) {
            const repairsPending = (olds.repairs ?? []).length > 0;
            const changes = repairsPending || !sameInputs(olds, news);
            return { changes, ...(repairsPending ? { detailedDiff: { repairs: { kind: "update" as const } } } : {}) };
        },
        async update(_id: string, olds: ObservationState, news: ObservationInputs) {
            // State written before the armed fields existed arms the current repair.
            const armed = { armedCommand: olds.armedCommand ?? news.repairCommand, armedConfig: olds.armedConfig ?? news.repairConfig };
            if ((olds.repairs ?? []).length === 0) {
                // No refresh found anything: what picluster installs changed (an
                // upgrade, a new config), and its own steps carry that out. No call
                // to the node, no repair armed; the next refresh observes again.
                return { outs: { ...kept({ ...olds, ...news }), ...armed, repairs: [] } };
            }
            const observed = await observe(news.connection, news.command);
            const repairs = neededRepairs(observed, news, olds.baselineMachineId);
            const outs: ObservationState = {
                ...kept(news),
                observed: repairs.length > 0 ? afterRepair(observed, news) : observed,
                // The repair reinstalls a reimaged node: from then on its machine-id is the baseline.
                baselineMachineId: observed.machineId || olds.baselineMachineId,
                generation: olds.generation + (repairs.length > 0 ? 1 : 0),
                reimageGeneration: olds.reimageGeneration + (isReimage(repairs) ? 1 : 0),
                lastRepairs: repairs,
                repairs: [],
                ...(repairs.length > 0 ? { armedCommand: news.repairCommand, armedConfig: news.repairConfig } : armed),
            };
            return { outs };
        },
    };
}

// One provider object for every node: Pulumi serialises it once per program run.
let shared: pulumi.dynamic.ResourceProvider | undefined;

/** The observation of one node, as a resource (`picluster:NodeObservation`, the provider above). */
export class NodeObservation extends pulumi.dynamic.Resource {
    public declare readonly generation: pulumi.Output<number>;
    public declare readonly reimageGeneration: pulumi.Output<number>;
    public declare readonly lastRepairs: pulumi.Output<string[]>;
    public declare readonly armedCommand: pulumi.Output<string>;
    public declare readonly armedConfig: pulumi.Output<string>;

    constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(
            (shared ??= observationProvider()),
            name,
            { ...args, generation: undefined, reimageGeneration: undefined, lastRepairs: undefined, armedCommand: undefined, armedConfig: undefined },
            // The key, the config and its hash stay secret in the state; the observation holds that hash too.
            // (repairConfig is an output only in state written before it was left out.)
            { ...opts, additionalSecretOutputs: ["connection", "configSha256", "observed", "repairConfig", "armedConfig"] },
            "picluster",
            "NodeObservation",
        );
    }
}

/**
 * Drift of one node: what node-observe.sh saw, compared with what picluster
 * installed. Pure; the dynamic provider in nodeObservation.ts carries these
 * functions along when Pulumi serialises it, so they use nothing but their
 * arguments.
 */

/** What node-observe.sh printed; empty strings mean absent. */
export interface Observed {
    version: string;
    service: string;
    active: boolean;
    /** The Node's Ready condition (`True`, `False`, or "" when the node could not tell). */
    ready: string;
    configSha256: string;
    registriesSha256: string;
    machineId: string;
}

/** What picluster put on the node: the k3s release and the sha256 of the config.yaml it wrote. */
export interface Desired {
    k3sVersion: string;
    configSha256: string;
}

/** Parses node-observe.sh's one line of JSON; refuses anything else with the text it got. */
export function parseObservation(text: string): Observed {
    let raw: unknown;
    try {
        raw = JSON.parse(text.trim());
    } catch {
        throw new Error(`node-observe.sh printed no JSON: '${text.trim().slice(0, 200)}'`);
    }
    const o = raw as Record<string, unknown>;
    const strings = ["version", "service", "ready", "configSha256", "registriesSha256", "machineId"];
    if (typeof o !== "object" || o === null || typeof o.active !== "boolean" || strings.some((k) => typeof o[k] !== "string")) {
        throw new Error(`node-observe.sh printed unexpected JSON: '${text.trim().slice(0, 200)}'`);
    }
    return {
        version: o.version as string,
        service: o.service as string,
        active: o.active,
        ready: o.ready as string,
        configSha256: o.configSha256 as string,
        registriesSha256: o.registriesSha256 as string,
        machineId: o.machineId as string,
    };
}

/**
 * The repairs a node needs, each one line for the preview. A reimaged node
 * (another machine-id than at install) or one without k3s is reinstalled;
 * another version than picluster installed is put back; a changed
 * config.yaml is rewritten (and k3s restarted); a stopped service started,
 * a running one whose node is NotReady restarted.
 */
export function neededRepairs(observed: Observed, desired: Desired, baselineMachineId: string): string[] {
    const repairs: string[] = [];
    const reimaged = baselineMachineId !== "" && observed.machineId !== baselineMachineId;
    if (reimaged) repairs.push("reinstall k3s: reimaged (machine-id changed)");
    else if (observed.version === "") repairs.push("reinstall k3s: not installed");
    else if (observed.version !== desired.k3sVersion) repairs.push(`reinstall k3s: runs ${observed.version}, not ${desired.k3sVersion}`);
    if (!reimaged && observed.version !== "") {
        if (observed.configSha256 !== desired.configSha256) {
            repairs.push(observed.configSha256 === "" ? "rewrite config.yaml: missing" : "rewrite config.yaml: changed on the node");
        }
        if (!observed.active) repairs.push(`restart ${observed.service}: stopped`);
        else if (observed.ready === "False") repairs.push(`restart ${observed.service}: node NotReady`);
    }
    return repairs;
}

/**
 * What the node looks like once the repairs ran: the pinned version, the
 * written config, the service active. Recorded after an `up` that repaired,
 * so the next `--refresh` of a repaired node finds nothing new.
 */
export function afterRepair(observed: Observed, desired: Desired): Observed {
    return { ...observed, version: desired.k3sVersion, configSha256: desired.configSha256, active: true, ready: observed.ready === "False" ? "True" : observed.ready };
}

/** True when a repair list asks for a reinstall of a reimaged node (its old Node object must go first). */
export function isReimage(repairs: string[]): boolean {
    return repairs.some((r) => r.includes("reimaged"));
}

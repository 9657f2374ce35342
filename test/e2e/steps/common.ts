/**
 * What the e2e scenario's steps share: the three nodes and their logins,
 * the versions they upgrade through, the worker-agent names, and the views
 * of the cluster and the node-call log that most steps read. run.ts
 * composes the steps (this folder, then dataSteps.ts, chartSteps.ts,
 * drift.ts) in the order a user lives them, with its own `step` and `check`.
 */
import { Call, isK3sRestart } from "../lib/calls";
import { Harness, tail } from "../harness";

export type Step = (name: string, body: () => string | void) => boolean;
export type Check = (ok: boolean, message: string) => asserts ok;

export const NEXT_VERSION = "v1.33.6+k3s1";
/** The version of the upgrade with postgres on the drained agent (dataSteps.ts). */
export const LAST_VERSION = "v1.33.7+k3s1";
export const SERVER = "e2e-server-1";
export const AGENT1 = "e2e-agent-1";
export const AGENT2 = "e2e-agent-2";
/** AGENT2's login: not root, passwordless sudo (every other node logs in as root). */
export const SUDO_LOGIN = "pi-e2e";
export const LOGIN: Record<string, string> = { [SERVER]: "root", [AGENT1]: "root", [AGENT2]: SUDO_LOGIN };
/** workerAgents.namespace's default; the policy and the orchestrator's Role live there. */
export const WORKER_NS = "worker-agents";
export const TEMPLATE = "code-reviewer";

/** The CLI's report that the picluster pack ran: "picluster@v0.1.0" (with findings) or the "Policy Packs run" table. */
export const PACK_RAN = /picluster@v[\d.]+|picluster\|local\|\S+\s+[\d.]+/;

/** A Node as the API server returns it, the fields the steps read. */
export interface NodeObject {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: { type: string; status: string }[] };
}

/** The cluster as most steps read it, and the plain `up`. */
export function clusterViews(h: Harness) {
    const nodes = () => h.kubectlJson<{ items: NodeObject[] }>(["get", "nodes"]).items;
    const nodeNamed = (name: string) => nodes().find((n) => n.metadata.name === name);
    const up = () => h.pulumiOk(["up", "--yes", "--skip-preview"]);
    const lastOf = (r: { stdout: string; stderr: string }) => tail(r.stdout + r.stderr, 30);
    return { nodes, nodeNamed, up, lastOf };
}

/**
 * Installer and uninstaller calls that did not run as root through
 * `sudo -n` from the node's own login (root nodes: sudo from root; AGENT2:
 * sudo from SUDO_LOGIN).
 */
function sudoProblems(calls: Call[]): string[] {
    return calls
        .filter((c) => c.event === "install" || c.event === "uninstall" || isK3sRestart(c, c.node))
        .filter((c) => c.fields.user !== "root" || c.fields.sudo_user !== LOGIN[c.node])
        .map((c) => `${c.node} ${c.event} ran as ${c.fields.user} via sudo from '${c.fields.sudo_user ?? ""}', expected root via sudo from ${LOGIN[c.node]}: ${c.line}`);
}

/** Asserts (with the step's `check`) that the installer calls and k3s restarts ran through sudo and that AGENT2 took part with `events` ("restart": of its k3s unit). */
export function sudoChecker(check: Check): (calls: Call[], events: string[]) => string {
    return (calls, events) => {
        const problems = sudoProblems(calls);
        check(problems.length === 0, problems.join("\n"));
        for (const e of events) {
            const found = calls.some((c) => (e === "restart" ? isK3sRestart(c, AGENT2) : c.node === AGENT2 && c.event === e));
            check(found, `no ${e} on ${AGENT2} (the sudo node) in:\n${calls.map((c) => c.line).join("\n")}`);
        }
        return `${AGENT2} ${events.join(" + ")} as root via sudo from ${SUDO_LOGIN}`;
    };
}

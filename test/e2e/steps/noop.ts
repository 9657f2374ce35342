/**
 * Nothing changed, nothing done: a preview that expects no changes, and a
 * second `up` that makes no node call and opens no SSH session (b).
 */
import { Harness } from "../harness";
import { Check, clusterViews, Step } from "./common";

export function noOpStep(h: Harness, step: Step, check: Check): void {
    const { up } = clusterViews(h);

    step("b. no-op: preview --expect-no-changes, second up runs no remote command", () => {
        const p = h.pulumiOk(["preview", "--expect-no-changes"]);
        const calls = h.calls().length;
        const logins = h.sshLogins();
        const u = up();
        const newCalls = h.calls().slice(calls);
        check(newCalls.length === 0, `second up ran on the nodes:\n${newCalls.map((c) => c.line).join("\n")}`);
        check(JSON.stringify(h.sshLogins()) === JSON.stringify(logins), `second up opened SSH sessions: before ${JSON.stringify(logins)}, after ${JSON.stringify(h.sshLogins())}`);
        return `preview ${p.seconds.toFixed(1)} s, up ${u.seconds.toFixed(1)} s; 0 node calls, 0 SSH logins`;
    });
}

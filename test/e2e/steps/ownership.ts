/**
 * One state per cluster (b2): a second state of the same stack name (a
 * workstation's and CI's, each on its own backend, sharing the tracked stack
 * file) is refused on its first `up`, before any node command, naming both
 * owners; the owner's next preview still expects no change.
 */
import * as fs from "fs";
import * as path from "path";
import { Harness, REPO, run, tail } from "../harness";
import { Check, Step } from "./common";

export function ownershipStep(h: Harness, step: Step, check: Check): void {
    step("b2. a second state pointed at the cluster is refused before any node command, naming both owners", () => {
        const backend = path.join(h.dir, "second-state");
        fs.mkdirSync(backend, { recursive: true });
        const env = { ...h.env, PULUMI_BACKEND_URL: `file://${backend}` };
        // `stack init` on another backend may re-salt the shared stack file; the owner's copy is put back after.
        const stackFile = path.join(REPO, `Pulumi.${h.stack}.yaml`);
        const ownersFile = fs.readFileSync(stackFile, "utf8");
        const pulumi = (args: string[]) => run("pulumi", ["--non-interactive", "--color=never", "-C", REPO, ...args, "--stack", h.stack], { env, timeoutSeconds: 600 });
        const init = run("pulumi", ["--non-interactive", "--color=never", "-C", REPO, "stack", "init", h.stack, "--secrets-provider", "passphrase"], { env });
        check(init.code === 0, `second state: stack init failed:\n${tail(init.stdout + init.stderr, 20)}`);
        let seconds = 0;
        try {
            const calls = h.calls().length;
            const u = pulumi(["up", "--yes", "--skip-preview"]);
            const newCalls = h.calls().slice(calls);
            const out = u.stdout + u.stderr;
            seconds = u.seconds;
            check(u.code !== 0, `the second state's up succeeded:\n${tail(out, 30)}`);
            check(/this cluster is owned by another picluster state: organization\/picluster\/e2e \(state id [0-9a-f]+\)/.test(out), `no ownership refusal naming the owner:\n${tail(out, 30)}`);
            check(/This stack is organization\/picluster\/e2e \(state id [0-9a-f]+, backend file:\/\/.*second-state\); nothing was changed/.test(out), `the refusal does not name the second state:\n${tail(out, 30)}`);
            check(newCalls.length === 0, `the second state ran node commands:\n${newCalls.map((c) => c.line).join("\n")}`);
            // The refused state leaves nothing behind but random values in its own backend.
            const rm = pulumi(["stack", "rm", "--yes", "--force", "--preserve-config"]);
            check(rm.code === 0, `removing the second state failed:\n${tail(rm.stdout + rm.stderr, 20)}`);
        } finally {
            fs.writeFileSync(stackFile, ownersFile);
        }
        h.pulumiOk(["preview", "--expect-no-changes"]);
        return `refused in ${seconds.toFixed(1)} s; 0 node calls; the owner's preview still has no changes`;
    });
}

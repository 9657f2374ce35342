/**
 * A broken stack file under the real CLI (b3): the refusal prints once, as
 * the program's own one-line-per-problem error, with no stack trace and no
 * "unhandled exception", the CLI exits non-zero, and nothing changes.
 */
import * as fs from "fs";
import * as path from "path";
import { Harness, REPO, tail } from "../harness";
import { Check, Step } from "./common";

export function refusalStep(h: Harness, step: Step, check: Check): void {
    step("b3. a broken stack file: the refusal prints once, no stack trace, nothing changed", () => {
        const stackFile = path.join(REPO, `Pulumi.${h.stack}.yaml`);
        const before = fs.readFileSync(stackFile, "utf8");
        const calls = h.calls().length;
        let r;
        try {
            h.editConfig((config) => {
                const c = config["picluster:cluster"] as { k3sVersion: unknown; upgrade?: unknown };
                // A YAML number where a string belongs, and a typo two levels down.
                c.k3sVersion = 1.33;
                c.upgrade = { agentConcurency: 2 };
            });
            r = h.pulumi(["up", "--yes", "--skip-preview", "--stack", h.stack]);
        } finally {
            fs.writeFileSync(stackFile, before);
        }
        const out = r.stdout + r.stderr;
        check(r.code !== 0, `up succeeded on a broken stack file:\n${tail(out, 30)}`);
        // The CLI echoes an error's first line on the stack's progress line; its Diagnostics hold the message, once.
        const diagnostics = out.slice(out.indexOf("Diagnostics:"), out.indexOf("Resources:", out.indexOf("Diagnostics:")));
        const headline = diagnostics.match(/picluster configuration has \d+ problems?; nothing was changed/g) ?? [];
        check(headline.length === 1, `the refusal is in the Diagnostics ${headline.length} times:\n${tail(out, 60)}`);
        check(/picluster:cluster\.k3sVersion = 1\.33: must be a k3s release string .*quote it/.test(out), `no line for k3sVersion:\n${tail(out, 30)}`);
        check(/picluster:cluster\.upgrade = .*unknown key "agentConcurency"; did you mean "agentConcurrency"\?/.test(out), `no did-you-mean for the nested typo:\n${tail(out, 30)}`);
        check(!/unhandled exception|^\s+at .*\.(ts|js):\d+/m.test(out), `a stack trace or "unhandled exception" was printed:\n${tail(out, 40)}`);
        check(h.calls().length === calls, "the refused up ran node commands");
        h.pulumiOk(["preview", "--expect-no-changes"]);
        return `refused in ${r.seconds.toFixed(1)} s with one message naming both keys; no trace; 0 node calls`;
    });
}

/**
 * Runs one step module on its own (`npx tsx test/e2e/steps/<module>.ts`, as
 * root, with the toolchain): the same PASS/FAIL lines and closing count as
 * run.ts, for a module that builds its own harness.
 */
import { toolchain } from "../harness";
import type { Check, Step } from "./common";

export function runAlone(steps: (toolchainPath: string, step: Step, check: Check) => void): never {
    const tc = toolchain();
    if (!tc.ok) {
        console.log(`e2e: the toolchain is not available, nothing was run:\n${tc.why}`);
        process.exit(1);
    }
    let failed = 0;
    let passed = 0;
    const step: Step = (name, body) => {
        const started = Date.now();
        const took = () => `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
        try {
            const detail = body() ?? "";
            passed++;
            console.log(`PASS  ${name}  ${took()}${detail ? `\n      ${detail.split("\n").join("\n      ")}` : ""}`);
            return true;
        } catch (e) {
            failed++;
            console.log(`FAIL  ${name}  ${took()}\n      ${e instanceof Error ? e.message : String(e)}`);
            return false;
        }
    };
    const check: Check = (ok, message) => {
        if (!ok) throw new Error(message);
    };
    steps(tc.path, step, check);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
}

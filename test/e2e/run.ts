/**
 * End-to-end scenario: the real Pulumi engine runs this repository's program
 * against three SSH nodes and a real kube-apiserver, all on loopback (see
 * docs/e2e.md). Each step prints its result and wall time; the last line is
 * `N passed, M failed`, and the exit status is non-zero on any failure.
 *
 * The steps live in steps/ (and dataSteps.ts, chartSteps.ts, drift.ts), in
 * the order a user lives them: install, a no-op, config changes, the k3s
 * upgrade, nodes leaving and coming back, what the platform keeps out, data
 * safety, destroy. This file runs them in that order with its `step` and
 * `check`.
 *
 *   npm run test:e2e            (E2E_KEEP=1 keeps the temp dir for debugging)
 */
import { batchStep, driftSteps } from "./drift";
import { mismatches, pluginVersions } from "./lib/plugins";
import { Harness, K3S_VERSION, serviceCharts, toolchain } from "./harness";
import { credentialRotationStep, postgresDrainSteps, restoreDryRunStep } from "./dataSteps";
import { chartCacheProblem } from "./chartSteps";
import { AGENT1, AGENT2, LAST_VERSION, NEXT_VERSION, SERVER, SUDO_LOGIN } from "./steps/common";
import { labelAndHpaStep, policyStep, registriesStep } from "./steps/configChange";
import { destroyStep } from "./steps/destroy";
import { guardrailSteps } from "./steps/guardrails";
import { installSteps } from "./steps/install";
import { nodeLifecycleSteps } from "./steps/nodeLifecycle";
import { noOpStep } from "./steps/noop";
import { ownershipStep } from "./steps/ownership";
import { refusalStep } from "./steps/refusal";
import { readmeMainJob } from "./steps/readme";
import { diagnosisCharts, releaseDiagnosisStep, verifyStep } from "./steps/diagnosis";
import { k3sUpgradeStep } from "./steps/upgrade";
import { apiVipSteps } from "./steps/apiVip";
import { frontDoorCharts, frontDoorSteps } from "./steps/frontDoor";

class StepFailure extends Error {}
function check(ok: boolean, message: string): asserts ok {
    if (!ok) throw new StepFailure(message);
}

const results: { name: string; ok: boolean; seconds: number; detail: string }[] = [];

function step(name: string, body: () => string | void): boolean {
    const started = Date.now();
    let ok = true;
    let detail = "";
    try {
        detail = body() ?? "";
    } catch (e) {
        ok = false;
        detail = e instanceof StepFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
    const seconds = (Date.now() - started) / 1000;
    results.push({ name, ok, seconds, detail });
    const head = `${ok ? "PASS" : "FAIL"}  ${name}  (${seconds.toFixed(1)} s)`;
    console.log(detail ? `${head}\n      ${detail.split("\n").join("\n      ")}` : head);
    return ok;
}

function main(): number {
    const tc = toolchain();
    if (!tc.ok) {
        console.log(`e2e: the toolchain is not available, nothing was run:\n${tc.why}`);
        console.log("0 passed, 1 failed");
        return 1;
    }
    if (tc.notes) console.log(tc.notes);
    const charts = chartCacheProblem([...serviceCharts(), ...diagnosisCharts(), ...frontDoorCharts()]);
    if (charts) {
        console.log(`e2e: ${charts}; nothing was run`);
        console.log("0 passed, 1 failed");
        return 1;
    }
    step("toolchain: the CLI, the language host and every provider plugin report the version package.json pins", () => {
        const found = pluginVersions(tc.path);
        const bad = mismatches(found);
        check(bad.length === 0, bad.join("\n"));
        return found.map((p) => `${p.binary} ${p.version} = ${p.pin} ${p.pinned}  (${p.path})`).join("\n");
    });
    const h = new Harness({
        stack: process.env.E2E_STACK ?? "e2e",
        toolchainPath: tc.path,
        keep: process.env.E2E_KEEP === "1",
        charts: [...serviceCharts(), ...diagnosisCharts()],
        nodes: [
            { name: SERVER, role: "server", labels: { "picluster.io/tier": "control-plane" } },
            { name: AGENT1, role: "agent", labels: { "picluster.io/tier": "worker" } },
            { name: AGENT2, role: "agent", labels: { "picluster.io/tier": "worker" }, user: SUDO_LOGIN },
        ],
    });
    const cleanup = () => h.stop();
    process.on("SIGINT", () => {
        cleanup();
        process.exit(130);
    });
    process.on("SIGTERM", () => {
        cleanup();
        process.exit(143);
    });
    console.log(`e2e: working directory ${h.dir}`);
    try {
        scenario(h);
        readmeMainJob(step, check, h.dir, tc.path);
    } finally {
        if (h.opts.keep) console.log(`e2e: kept ${h.dir}`);
        cleanup();
    }
    batchStep(tc.path, step, check, K3S_VERSION, NEXT_VERSION);
    apiVipSteps(tc.path, step, check);
    frontDoorSteps(tc.path, step, check);
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
}

function scenario(h: Harness): void {
    const installed = installSteps(h, step, check);
    if (!installed) return;
    noOpStep(h, step, check);
    ownershipStep(h, step, check);
    refusalStep(h, step, check);
    policyStep(h, step, check);
    labelAndHpaStep(h, step, check);
    k3sUpgradeStep(h, step, check);
    registriesStep(h, step, check);
    nodeLifecycleSteps(h, step, check);
    driftSteps(h, step, check, AGENT1, AGENT2);
    guardrailSteps(h, step, check);
    postgresDrainSteps(h, step, check, { node: AGENT1, agents: [AGENT1, AGENT2], from: NEXT_VERSION, to: LAST_VERSION });
    credentialRotationStep(h, step, check, SERVER);
    restoreDryRunStep(h, step, check, SERVER);
    verifyStep(h, step, check);
    releaseDiagnosisStep(h, step, check);
    destroyStep(h, step, check, installed.charts);
}

process.exitCode = main();

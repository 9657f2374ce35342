import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ThrowawayApiServer } from "./apiServer";

/*
 * The upgrade chain's Ready gate (components/cluster/scripts/node-ready.sh)
 * against a real kube-apiserver and the toolchain's kubectl: the version
 * watch (`kubectl wait --for=jsonpath=…kubeletVersion=<v>`, a `+` in the
 * value) and the Ready watch hold the node cordoned until a kubelet at the
 * target version has said Ready, and then uncordon it; the next batch's drain
 * (node-drain.sh with AFTER_NODES, a `kubectl get nodes --watch`) drains
 * nothing until then. The Node's status is written here as a kubelet would
 * write it (the status subresource).
 */

const ROOT = path.join(__dirname, "..", "..");
const SCRIPTS = path.join(ROOT, "components", "cluster", "scripts");
const OLD = "v1.33.6+k3s1";
const NEW = "v1.33.7+k3s1";
const server = new ThrowawayApiServer("readygate");
const kubectl = (...args: string[]) => server.kubectl(args);
/** The node's root: only a `k3s` that runs the toolchain's kubectl, as `k3s kubectl` does. */
const nodeRoot = path.join(server.dir, "node");

function kubeletStatus(version: string, ready: "True" | "False", node = "pi-1"): void {
    const status = { nodeInfo: { kubeletVersion: version }, conditions: [{ type: "Ready", status: ready, reason: ready === "True" ? "KubeletReady" : "KubeletNotReady" }] };
    const r = kubectl("patch", "node", node, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status }));
    if (r.status !== 0) throw new Error(r.out);
}
function must(...args: string[]): void {
    const r = kubectl(...args);
    if (r.status !== 0) throw new Error(r.out);
}

/** A node script run on the "first server", in the background. */
function run(script: string, vars: Record<string, string>) {
    const env = { ...server.env, PICLUSTER_ROOT: nodeRoot, POLL_INTERVAL: "0.1", ...vars };
    const child = spawn("bash", [path.join(SCRIPTS, script)], { env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const done = new Promise<{ status: number | null; out: string }>((resolve) => child.on("close", (status) => resolve({ status, out })));
    return { done };
}

/** node-ready.sh as the `ready` step runs it after an upgrade to NEW. */
const gate = (timeoutSeconds: number) => run("node-ready.sh", { NODE_NAME: "pi-1", UNCORDON: "1", TARGET_VERSION: NEW, READY_TIMEOUT: String(timeoutSeconds) });
/** node-drain.sh as pi-2's `drain` step runs it, pi-1 being the previous batch. */
const drainAfterPi1 = (timeoutSeconds: number) =>
    run("node-drain.sh", { MODE: "drain", NODE_NAME: "pi-2", TARGET_VERSION: NEW, DRAIN_TIMEOUT: "30", AFTER_NODES: "pi-1", READY_TIMEOUT: String(timeoutSeconds) });

const unschedulable = (node = "pi-1") => kubectl("get", "node", node, "-o", "jsonpath={.spec.unschedulable}").out;
const drainedFor = (node = "pi-1") => kubectl("get", "node", node, "-o", "jsonpath={.metadata.annotations.picluster\\.io/drained-for}").out;

describe("the upgrade's Ready gate and the next batch's drain, on a real API server", () => {
    beforeAll(() => {
        server.start();
        fs.mkdirSync(path.join(nodeRoot, "usr", "local", "bin"), { recursive: true });
        fs.writeFileSync(path.join(nodeRoot, "usr", "local", "bin", "k3s"), '#!/bin/sh\n[ "$1" = kubectl ] && shift\nexec kubectl "$@"\n', { mode: 0o755 });
        for (const name of ["pi-1", "pi-2"]) {
            const node = { apiVersion: "v1", kind: "Node", metadata: { name } };
            const r = spawnSync("kubectl", ["create", "-f", "-"], { env: server.env, input: JSON.stringify(node), encoding: "utf8" });
            if (r.status !== 0) throw new Error(r.stderr);
            kubeletStatus(OLD, "True", name);
        }
        // What node-drain.sh leaves: cordoned, annotated with the target.
        for (const args of [["cordon", "pi-1"], ["annotate", "node", "pi-1", `picluster.io/drained-for=${NEW}`]]) {
            const c = kubectl(...args);
            if (c.status !== 0) throw new Error(c.out);
        }
    });

    afterAll(() => server.stop());

    it("keeps the node cordoned while its kubelet still reports the old version and Ready, and names both", async () => {
        const r = await gate(2).done;
        expect(r.status).toBe(1);
        expect(r.out).toContain(`node pi-1 not Ready at k3s ${NEW} within 2s (it reports ${OLD}, Ready=True)`);
        expect(unschedulable()).toBe("true");
        expect(drainedFor()).toBe(NEW);
    });

    it("waits through a NotReady first status of the new kubelet, then uncordons once it is Ready", async () => {
        const running = gate(60);
        kubeletStatus(NEW, "False");
        // Until Ready, nothing is uncordoned (the gate watches; the status below ends it).
        expect(unschedulable()).toBe("true");
        kubeletStatus(NEW, "True");
        const r = await running.done;
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain(`node pi-1 Ready and uncordoned after upgrade to ${NEW}`);
        expect(unschedulable()).toBe("");
        // The same call removed the drain's mark, which the next batch's drain watches for.
        expect(kubectl("get", "node", "pi-1", "-o", "jsonpath={.metadata.annotations}").out).not.toContain("picluster.io/drained-for");
        expect(drainedFor()).toBe("");
    });

    it("lets the next batch's drain wait for the previous node's gate: nothing is drained until pi-1 is back and uncordoned", async () => {
        // pi-1 upgraded again: drained, its new kubelet not reporting yet.
        must("cordon", "pi-1");
        must("annotate", "node", "pi-1", `picluster.io/drained-for=${NEW}`);
        kubeletStatus(OLD, "True");
        const early = await drainAfterPi1(2).done;
        expect(early.status).toBe(1);
        expect(early.out).toContain(`the previous upgrade batch (pi-1) was not Ready at ${NEW} within 2s; pi-2 was not drained`);
        expect(unschedulable("pi-2")).toBe("");
        expect(drainedFor("pi-2")).toBe("");

        const drain = drainAfterPi1(60);
        // While it waits for pi-1, pi-2 is marked for the drain, and still schedulable.
        for (let i = 0; i < 100 && drainedFor("pi-2") !== NEW; i++) await new Promise((r) => setTimeout(r, 100));
        expect(drainedFor("pi-2")).toBe(NEW);
        expect(unschedulable("pi-2")).toBe("");
        kubeletStatus(NEW, "True");
        const gated = await gate(60).done;
        expect(gated.status, gated.out).toBe(0);
        const r = await drain.done;
        expect(r.status, r.out).toBe(0);
        expect(r.out).toContain(`previous batch back at ${NEW}: pi-1`);
        expect(r.out).toContain(`node pi-2 drained for ${OLD} -> ${NEW}`);
        expect(unschedulable("pi-2")).toBe("true");
        expect(drainedFor("pi-2")).toBe(NEW);
        expect(unschedulable("pi-1")).toBe("");
    });
});

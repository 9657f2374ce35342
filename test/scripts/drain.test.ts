import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Sandbox } from "./sandbox";

function firstServer(binDir = "usr/local/bin"): Sandbox {
    const node = new Sandbox();
    node.installK3s(binDir);
    fs.mkdirSync(path.join(node.state, "node-pi-1"));
    fs.writeFileSync(path.join(node.state, "node-pi-1", "kubelet-version"), "v1.33.5+k3s1");
    return node;
}
const drain = { MODE: "drain", NODE_NAME: "pi-1", TARGET_VERSION: "v1.34.1+k3s1", DRAIN_TIMEOUT: "5" };
const ready = { NODE_NAME: "pi-1", UNCORDON: "1", READY_TIMEOUT: "5", POLL_INTERVAL: "0.1" };

describe("node-drain.sh with disruption budgets", () => {
    it("stops a budget-blocked drain naming the budget and the choices, and uncordons the node", () => {
        const node = firstServer();
        fs.writeFileSync(path.join(node.state, "pdbs"), "db/pg-primary ");
        const r = node.run("node-drain.sh", { ...drain, STUB_DRAIN: "pdb" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("drain of pi-1 blocked within 5s by PodDisruptionBudget db/pg-primary (0 disruptions allowed)");
        expect(r.stderr).toContain("Choices: run a second replica");
        expect(r.stderr).toContain("nodeMaintenanceWindow");
        expect(r.stderr).toContain("pi-1 was uncordoned again; k3s on it was not upgraded.");
        expect(node.calls()).toContain("kubectl uncordon pi-1");
        // The drain marker is gone, so a later node-ready.sh uncordons nothing by mistake.
        expect(fs.existsSync(path.join(node.state, "node-pi-1/annotations/picluster.io_drained-for"))).toBe(false);
    });

    it("opens the CloudNativePG node maintenance window for a single-instance cluster on the node, and node-ready closes it", () => {
        const node = firstServer();
        fs.writeFileSync(path.join(node.state, "cnpg-pods"), "db/pg\nbig/pg3\n");
        fs.writeFileSync(path.join(node.state, "cnpg-pg-instances"), "1");
        fs.writeFileSync(path.join(node.state, "cnpg-pg3-instances"), "3");
        const r = node.run("node-drain.sh", drain);
        expect(r.status, r.stderr).toBe(0);
        const open = `kubectl -n db patch clusters.postgresql.cnpg.io pg --type=merge -p {"spec":{"nodeMaintenanceWindow":{"inProgress":true,"reusePVC":true}}}`;
        expect(node.calls()).toContain(open);
        // A three-instance cluster fails over by itself; its window stays shut.
        expect(node.calls().some((c) => c.includes("patch clusters.postgresql.cnpg.io pg3"))).toBe(false);
        expect(node.calls().indexOf(open)).toBeLessThan(node.calls().findIndex((c) => c.startsWith("kubectl drain")));
        const back = node.run("node-ready.sh", ready);
        expect(back.status, back.stderr).toBe(0);
        expect(back.stdout).toContain("CloudNativePG cluster db/pg: node maintenance window closed");
        expect(node.calls()).toContain(
            `kubectl -n db patch clusters.postgresql.cnpg.io pg --type=merge -p {"spec":{"nodeMaintenanceWindow":{"inProgress":false,"reusePVC":true}}}`,
        );
    });

    it("closes the maintenance window again when the drain is blocked anyway", () => {
        const node = firstServer();
        fs.writeFileSync(path.join(node.state, "cnpg-pods"), "db/pg\n");
        fs.writeFileSync(path.join(node.state, "cnpg-pg-instances"), "1");
        const r = node.run("node-drain.sh", { ...drain, STUB_DRAIN: "pdb" });
        expect(r.status).toBe(1);
        expect(node.calls().some((c) => c.includes(`"inProgress":false`))).toBe(true);
    });

    it("finds k3s in /opt/bin when the installer put it there", () => {
        const node = firstServer("opt/bin");
        const r = node.run("node-drain.sh", drain);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("drained for v1.33.5+k3s1 -> v1.34.1+k3s1");
    });
});

describe("node-drain.sh after a previous upgrade batch", () => {
    /** A first server that also knows node pi-0 (the previous batch) at `version`, Ready, with or without the drain annotation. */
    function withPrevious(version: string, drainedFor?: string): Sandbox {
        const node = firstServer();
        fs.mkdirSync(path.join(node.state, "node-pi-0", "annotations"), { recursive: true });
        fs.writeFileSync(path.join(node.state, "node-pi-0", "kubelet-version"), version);
        if (drainedFor) fs.writeFileSync(path.join(node.state, "node-pi-0", "annotations", "picluster.io_drained-for"), drainedFor);
        return node;
    }
    const after = { ...drain, AFTER_NODES: "pi-0", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" };

    it("drains once every node of the previous batch runs the target, Ready and uncordoned by its gate", () => {
        const node = withPrevious("v1.34.1+k3s1");
        const r = node.run("node-drain.sh", after);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("previous batch back at v1.34.1+k3s1: pi-0");
        expect(node.calls()).toContain("kubectl drain pi-1 --ignore-daemonsets --delete-emptydir-data --timeout=5s");
    });

    it("drains nothing while the previous batch still carries its drain annotation, says why within READY_TIMEOUT and takes its own mark off", () => {
        for (const node of [withPrevious("v1.34.1+k3s1", "v1.34.1+k3s1"), withPrevious("v1.33.5+k3s1")]) {
            const r = node.run("node-drain.sh", after);
            expect(r.status).toBe(1);
            expect(r.stderr).toContain("the previous upgrade batch (pi-0) was not Ready at v1.34.1+k3s1 within 1s; pi-1 was not drained");
            expect(node.calls().some((c) => c.startsWith("kubectl drain"))).toBe(false);
            // Marked while it waited, unmarked when the wait failed: a later node-ready.sh uncordons nothing.
            expect(node.calls()).toContain("kubectl annotate node pi-1 picluster.io/drained-for-");
            expect(fs.existsSync(path.join(node.state, "node-pi-1/annotations/picluster.io_drained-for"))).toBe(false);
        }
    });

    it("reads the node's CloudNativePG pods and marks it before the previous batch is back, so only the drain is left after", () => {
        const node = withPrevious("v1.34.1+k3s1");
        fs.writeFileSync(path.join(node.state, "cnpg-pods"), "db/pg\n");
        fs.writeFileSync(path.join(node.state, "cnpg-pg-instances"), "1");
        const r = node.run("node-drain.sh", after);
        expect(r.status, r.stderr).toBe(0);
        const calls = node.calls();
        const watch = calls.findIndex((c) => c.startsWith("kubectl get nodes --watch"));
        expect(calls.findIndex((c) => c.startsWith("kubectl get pods"))).toBeLessThan(calls.findIndex((c) => c.includes('"inProgress":true')));
        expect(calls.findIndex((c) => c.startsWith("kubectl annotate node pi-1 --overwrite picluster.io/drained-for="))).toBeGreaterThanOrEqual(0);
        expect(calls.findIndex((c) => c.includes('"inProgress":true'))).toBeGreaterThan(watch);
        expect(calls.findIndex((c) => c.startsWith("kubectl drain"))).toBeGreaterThan(watch);
        expect(fs.readFileSync(path.join(node.state, "node-pi-1/annotations/picluster.io_cnpg-maintenance"), "utf8")).toBe("db/pg");
    });

    it("waits out an API server that does not answer (the first server restarting) instead of taking the node for unregistered, then drains it", () => {
        const node = withPrevious("v1.34.1+k3s1");
        fs.writeFileSync(path.join(node.state, "cnpg-pods"), "db/pg\n");
        fs.writeFileSync(path.join(node.state, "cnpg-pg-instances"), "1");
        const r = node.run("node-drain.sh", { ...after, READY_TIMEOUT: "5", STUB_API_DOWN: "4" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).not.toContain("not registered");
        expect(r.stdout).toContain("CloudNativePG cluster db/pg: node maintenance window opened");
        expect(node.calls()).toContain("kubectl drain pi-1 --ignore-daemonsets --delete-emptydir-data --timeout=5s");
        expect(fs.readFileSync(path.join(node.state, "node-pi-1/annotations/picluster.io_drained-for"), "utf8")).toBe("v1.34.1+k3s1");
    });

    it("drains nothing and says so when the API server does not answer within READY_TIMEOUT", () => {
        const node = withPrevious("v1.34.1+k3s1");
        const r = node.run("node-drain.sh", { ...after, STUB_API_DOWN: "1000" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the API server did not answer kubectl get node within 1s");
        expect(node.calls().some((c) => c.startsWith("kubectl drain"))).toBe(false);
    });

    it("does not wait for the previous batch when the node already runs the target", () => {
        const node = withPrevious("v1.33.5+k3s1");
        fs.writeFileSync(path.join(node.state, "node-pi-1", "kubelet-version"), "v1.34.1+k3s1");
        const r = node.run("node-drain.sh", after);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("already runs v1.34.1+k3s1; not draining");
        expect(node.calls().some((c) => c.startsWith("kubectl get nodes"))).toBe(false);
    });
});

describe("node-drain.sh and k3s's one-minor-at-a-time upgrades", () => {
    it("refuses a k3sVersion that skips a minor, naming the pins to apply in turn, before marking or cordoning anything", () => {
        const node = firstServer();
        const r = node.run("node-drain.sh", { ...drain, TARGET_VERSION: "v1.35.2+k3s1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("k3sVersion v1.35.2+k3s1 skips a minor: pi-1 runs v1.33.5+k3s1, and k3s upgrades one minor at a time. Pin and apply, in turn: v1.34.x+k3sN (the newest patch of each), then v1.35.2+k3s1. Nothing was drained.");
        expect(node.calls().filter((c) => /kubectl (drain|cordon|annotate)/.test(c))).toEqual([]);
    });

    it("refuses going back a minor", () => {
        const node = firstServer();
        const r = node.run("node-drain.sh", { ...drain, TARGET_VERSION: "v1.32.9+k3s1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("k3sVersion v1.32.9+k3s1 goes back from v1.33.5+k3s1 (on pi-1): k3s cannot downgrade a minor");
    });

    it("drains for the next minor and for a patch of the same one", () => {
        for (const target of ["v1.34.1+k3s1", "v1.33.6+k3s1"]) {
            const node = firstServer();
            const r = node.run("node-drain.sh", { ...drain, TARGET_VERSION: target });
            expect(r.status, r.stderr).toBe(0);
            expect(node.calls().some((c) => c.startsWith("kubectl drain pi-1"))).toBe(true);
        }
    });
});

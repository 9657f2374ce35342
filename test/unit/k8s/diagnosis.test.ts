import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { eventLines, formatDiagnosis, LIMITS, logTail, podProblem, selectorQuery, workloadState, type KubeEvent, type Pod } from "../../../components/k8s/diagnosis";

const pods = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "pods.json"), "utf8")) as Record<string, Pod>;
const events = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "events.json"), "utf8")) as KubeEvent[];

describe("a pod's problem, from its status", () => {
    it("names a crash loop with its restarts and last exit, and asks for the crashed container's previous logs", () => {
        expect(podProblem(pods.crashLoop)).toEqual({
            pod: "rocketchat-rocketchat-7d9c6f5b8-x2k4p",
            line: "CrashLoopBackOff: container rocketchat restarted 7 times, last exit 1 (Error)",
            logs: { container: "rocketchat", previous: true },
        });
    });

    it("names an image that cannot be pulled, and the registry's answer", () => {
        expect(podProblem(pods.imagePull)?.line).toBe(
            'Pending, ImagePullBackOff: container placemyparents cannot pull image registry.lan/placemyparents/mcp-server:1.4.2: Back-off pulling image "registry.lan/placemyparents/mcp-server:1.4.2": ErrImagePull: failed to resolve reference: registry.lan: no such host',
        );
    });

    it("gives a Pending pod the scheduler's message", () => {
        expect(podProblem(pods.unschedulable)?.line).toMatch(/^Pending: Unschedulable: 0\/5 nodes are available: 1 Insufficient memory, 4 node\(s\) didn't match Pod's node affinity\/selector\./);
    });

    it("tells a running pod that fails its readiness probe from one that crashes", () => {
        expect(podProblem(pods.notReady)?.line).toBe("Running, not ready: container agent-host fails its readiness probe");
        expect(podProblem(pods.notReady)?.logs).toBeUndefined();
    });

    it("reads init containers first: a missing Secret stops the pod before its main container", () => {
        expect(podProblem(pods.initStuck)?.line).toBe('Pending, CreateContainerConfigError: init container bootstrap-controller: secret "pg-role-app" not found');
    });

    it("says when no scheduler has placed a pod and none said why", () => {
        expect(podProblem(pods.unbound)?.line).toMatch(/^Pending: not scheduled yet/);
    });

    it("has nothing to say about a ready pod", () => {
        expect(podProblem(pods.ready)).toBeUndefined();
    });
});

describe("workloads and their pods", () => {
    it("judges readiness as Helm's --wait does: every replica ready, updated and observed", () => {
        const d = (status: Record<string, number>, generation = 1) => workloadState({ kind: "Deployment", metadata: { name: "d", generation }, spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });
        expect(d({ readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 })).toEqual({ kind: "Deployment", name: "d", ready: true, summary: "Deployment d: 2 of 2 ready" });
        expect(d({ readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 }).ready).toBe(false);
        expect(d({ readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 }).summary).toBe("Deployment d: 2 of 2 ready, 1 updated");
        expect(d({ readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 }, 2).ready).toBe(false);
        const ds = workloadState({ kind: "DaemonSet", metadata: { name: "node-exporter" }, status: { desiredNumberScheduled: 5, numberReady: 4, updatedNumberScheduled: 5 } });
        expect(ds).toMatchObject({ ready: false, summary: "DaemonSet node-exporter: 4 of 5 ready" });
        expect(workloadState({ kind: "StatefulSet", metadata: { name: "s" }, status: {} })).toMatchObject({ ready: false, summary: "StatefulSet s: 0 of 1 ready" });
    });

    it("writes a selector as the API's labelSelector", () => {
        expect(selectorQuery({ matchLabels: { app: "x", tier: "web" }, matchExpressions: [{ key: "env", operator: "In", values: ["a", "b"] }, { key: "gone", operator: "DoesNotExist" }] })).toBe("app=x,tier=web,env in (a,b),!gone");
    });
});

describe("events and logs, bounded", () => {
    it("keeps the events about the named objects, oldest first, repeats counted", () => {
        const lines = eventLines(events, (n) => n.startsWith("rocketchat-rocketchat"));
        expect(lines).toEqual([
            "Normal ScalingReplicaSet deployment/rocketchat-rocketchat: Scaled up replica set rocketchat-rocketchat-7d9c6f5b8 to 1",
            "Normal Scheduled pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Successfully assigned rocketchat/rocketchat-rocketchat-7d9c6f5b8-x2k4p to cp-1",
            'Normal Pulled pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Container image "registry.rocket.chat/rocketchat/rocket.chat:8.6.1" already present on machine (×8)',
            "Warning BackOff pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Back-off restarting failed container rocketchat in pod rocketchat-rocketchat-7d9c6f5b8-x2k4p_rocketchat(1b2c) (×30)",
        ]);
    });

    it("shows only Warnings when there are more of them than fit", () => {
        const many = Array.from({ length: 20 }, (_, i) => ({ type: i % 2 ? "Warning" : "Normal", reason: `R${i}`, message: "m", involvedObject: { kind: "Pod", name: "p" }, lastTimestamp: `2026-12-06T05:${String(i).padStart(2, "0")}:00Z` }));
        const lines = eventLines(many, () => true);
        expect(lines).toHaveLength(LIMITS.events);
        expect(lines.every((l) => l.startsWith("Warning"))).toBe(true);
        expect(lines.at(-1)).toContain("R19");
    });

    it("keeps a log's last lines, clipped", () => {
        const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n\n" + "x".repeat(1000) + "\n";
        const tail = logTail(text);
        expect(tail).toHaveLength(LIMITS.logLines);
        expect(tail[0]).toBe("line 21");
        expect(tail.at(-1)?.length).toBe(LIMITS.lineChars);
    });
});

describe("the diagnosis as one message", () => {
    it("names each not-ready workload, its pods with their reasons and logs, and the events", () => {
        const text = formatDiagnosis(
            "release rocketchat (namespace rocketchat, revision 1) is not ready after 600 s:",
            [
                {
                    state: { kind: "Deployment", name: "rocketchat-rocketchat", ready: false, summary: "Deployment rocketchat-rocketchat: 0 of 1 ready" },
                    pods: [{ ...(podProblem(pods.crashLoop) as NonNullable<ReturnType<typeof podProblem>>), log: ["MongoServerError: unsupported MongoDB version 6.0.10: Rocket.Chat needs 8.0 or later"] }],
                    morePods: 2,
                },
                { state: { kind: "StatefulSet", name: "rocketchat-mongodb", ready: false, summary: "StatefulSet rocketchat-mongodb: 0 of 1 ready" }, pods: [], morePods: 0 },
            ],
            ["Warning BackOff pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Back-off restarting failed container (×30)"],
        );
        expect(text).toBe(
            [
                "release rocketchat (namespace rocketchat, revision 1) is not ready after 600 s:",
                "  Deployment rocketchat-rocketchat: 0 of 1 ready",
                "    pod rocketchat-rocketchat-7d9c6f5b8-x2k4p: CrashLoopBackOff: container rocketchat restarted 7 times, last exit 1 (Error)",
                "      | MongoServerError: unsupported MongoDB version 6.0.10: Rocket.Chat needs 8.0 or later",
                "    and 2 more pod(s) not ready",
                "  StatefulSet rocketchat-mongodb: 0 of 1 ready",
                "    no pods (its controller has created none: see the events)",
                "  events (oldest first):",
                "    Warning BackOff pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Back-off restarting failed container (×30)",
            ].join("\n"),
        );
    });
});

import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { describe, expect, it } from "vitest";
import type { KubeApi, KubeResponse } from "../../../components/k8s/kubeApi";
import { decodeHelmRelease, manifestWorkloads, waitForRelease, type Clock } from "../../../components/k8s/readiness";

const pods = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "pods.json"), "utf8")) as Record<string, Record<string, unknown>>;
const events = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "events.json"), "utf8")) as unknown[];

const MANIFEST = `---
apiVersion: v1
kind: Service
metadata: { name: rocketchat-rocketchat }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: rocketchat-rocketchat }
spec: { selector: { matchLabels: { app.kubernetes.io/name: rocketchat } } }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: rocketchat-mongodb, namespace: rocketchat }
`;

/** What Helm's Secret driver stores: base64 (the Secret's encoding) of base64 of the gzipped release JSON. */
function helmSecret(version: number, manifest = MANIFEST) {
    const inner = zlib.gzipSync(Buffer.from(JSON.stringify({ name: "rocketchat", version, manifest, info: { status: "deployed" } }))).toString("base64");
    return { metadata: { labels: { owner: "helm", name: "rocketchat", version: String(version) } }, data: { release: Buffer.from(inner).toString("base64") } };
}

/** A fake API server: routes by path prefix (without the query), each a body or a function of the full path; every request recorded. */
function fakeApi(routes: Record<string, unknown | ((p: string) => KubeResponse)>): KubeApi & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        async request(method, p) {
            asked.push(`${method} ${p}`);
            const bare = p.split("?")[0];
            const key = Object.keys(routes).find((k) => bare === k);
            if (key === undefined) return { status: 404, body: JSON.stringify({ message: `${bare} not found` }) };
            const r = routes[key];
            return typeof r === "function" ? (r as (p: string) => KubeResponse)(p) : { status: 200, body: JSON.stringify(r) };
        },
    };
}

/** A clock that moves only when the wait sleeps. */
function fakeClock(): Clock & { slept: number } {
    let t = 0;
    const c = { slept: 0, now: () => t, sleep: async (ms: number) => void ((t += ms), (c.slept += ms)) };
    return c;
}

const NS = "/apis/apps/v1/namespaces/rocketchat";
const readyDeployment = { metadata: { name: "rocketchat-rocketchat", generation: 1 }, spec: { replicas: 1, selector: { matchLabels: { "app.kubernetes.io/name": "rocketchat" } } }, status: { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } };
const readySts = { metadata: { name: "rocketchat-mongodb" }, spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1 } };

describe("Helm's record of a release", () => {
    it("decodes the Secret driver's encoding and lists the workloads Helm's --wait would wait for", () => {
        const rec = decodeHelmRelease(helmSecret(3).data.release);
        expect(rec).toMatchObject({ version: 3, status: "deployed" });
        expect(manifestWorkloads(rec.manifest, "rocketchat")).toEqual([
            { kind: "Deployment", namespace: "rocketchat", name: "rocketchat-rocketchat" },
            { kind: "StatefulSet", namespace: "rocketchat", name: "rocketchat-mongodb" },
        ]);
    });
});

describe("the bounded wait for a release", () => {
    const target = { namespace: "rocketchat", release: "rocketchat", timeoutSeconds: 60 };

    it("returns as soon as every workload of the newest revision is ready", async () => {
        const api = fakeApi({
            "/api/v1/namespaces/rocketchat/secrets": { items: [helmSecret(1, "kind: Deployment\nmetadata: { name: old }\n"), helmSecret(2)] },
            [`${NS}/deployments/rocketchat-rocketchat`]: readyDeployment,
            [`${NS}/statefulsets/rocketchat-mongodb`]: readySts,
        });
        const clock = fakeClock();
        expect(await waitForRelease(api, target, clock)).toBe("release rocketchat (namespace rocketchat, revision 2): 2 workload(s) ready");
        expect(clock.slept).toBe(0);
        expect(api.asked).not.toContain(`GET ${NS}/deployments/old`);
    });

    it("keeps looking until the workloads become ready within the bound", async () => {
        let looks = 0;
        const api = fakeApi({
            "/api/v1/namespaces/rocketchat/secrets": { items: [helmSecret(1)] },
            [`${NS}/deployments/rocketchat-rocketchat`]: () => ({ status: 200, body: JSON.stringify(++looks < 3 ? { ...readyDeployment, status: {} } : readyDeployment) }),
            [`${NS}/statefulsets/rocketchat-mongodb`]: readySts,
        });
        const clock = fakeClock();
        await waitForRelease(api, target, clock);
        expect(clock.slept).toBe(10_000);
    });

    it("fails at its bound with the diagnosis: the pod, its reason, the crashed container's previous log, the events", async () => {
        const api = fakeApi({
            "/api/v1/namespaces/rocketchat/secrets": { items: [helmSecret(1)] },
            [`${NS}/deployments/rocketchat-rocketchat`]: { ...readyDeployment, status: { observedGeneration: 1 } },
            [`${NS}/statefulsets/rocketchat-mongodb`]: readySts,
            "/api/v1/namespaces/rocketchat/pods": { items: [pods.crashLoop, pods.ready] },
            "/api/v1/namespaces/rocketchat/pods/rocketchat-rocketchat-7d9c6f5b8-x2k4p/log": (p: string) =>
                p.includes("previous=true") ? { status: 200, body: "starting\nMongoServerError: Rocket.Chat 8 needs MongoDB 8.0 or later; found 6.0.10\n" } : { status: 500, body: "" },
            "/api/v1/namespaces/rocketchat/events": { items: events },
        });
        const clock = fakeClock();
        const error = await waitForRelease(api, target, clock).then(() => undefined, (e: Error) => e);
        expect(clock.now()).toBe(60_000);
        expect(error?.message).toBe(
            [
                "release rocketchat (namespace rocketchat, revision 1) is not ready after 60 s; nothing was rolled back (fix the cause and run up again, or: helm rollback rocketchat -n rocketchat):",
                "  Deployment rocketchat-rocketchat: 0 of 1 ready",
                "    pod rocketchat-rocketchat-7d9c6f5b8-x2k4p: CrashLoopBackOff: container rocketchat restarted 7 times, last exit 1 (Error)",
                "      | starting",
                "      | MongoServerError: Rocket.Chat 8 needs MongoDB 8.0 or later; found 6.0.10",
                "  events (oldest first):",
                "    Normal ScalingReplicaSet deployment/rocketchat-rocketchat: Scaled up replica set rocketchat-rocketchat-7d9c6f5b8 to 1",
                "    Normal Scheduled pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Successfully assigned rocketchat/rocketchat-rocketchat-7d9c6f5b8-x2k4p to cp-1",
                '    Normal Pulled pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Container image "registry.rocket.chat/rocketchat/rocket.chat:8.6.1" already present on machine (×8)',
                "    Warning BackOff pod/rocketchat-rocketchat-7d9c6f5b8-x2k4p: Back-off restarting failed container rocketchat in pod rocketchat-rocketchat-7d9c6f5b8-x2k4p_rocketchat(1b2c) (×30)",
            ].join("\n"),
        );
        expect(api.asked).toContain("GET /api/v1/namespaces/rocketchat/pods?labelSelector=app.kubernetes.io%2Fname%3Drocketchat");
    });

    it("still says what it found when the pods or events cannot be read", async () => {
        const api = fakeApi({
            "/api/v1/namespaces/rocketchat/secrets": { items: [helmSecret(1)] },
            [`${NS}/deployments/rocketchat-rocketchat`]: { ...readyDeployment, status: {} },
            [`${NS}/statefulsets/rocketchat-mongodb`]: readySts,
            "/api/v1/namespaces/rocketchat/pods": () => ({ status: 403, body: JSON.stringify({ message: "pods is forbidden" }) }),
        });
        const error = await waitForRelease(api, target, fakeClock()).then(() => undefined, (e: Error) => e);
        expect(error?.message).toContain("Deployment rocketchat-rocketchat: 0 of 1 ready (its pods could not be read: GET /api/v1/namespaces/rocketchat/pods: 403 pods is forbidden)");
        expect(error?.message).not.toContain("events (oldest first)");
    });

    it("fails at its bound naming the release when Helm has no record of it", async () => {
        const error = await waitForRelease(fakeApi({ "/api/v1/namespaces/rocketchat/secrets": { items: [] } }), target, fakeClock()).then(() => undefined, (e: Error) => e);
        expect(error?.message).toBe("release rocketchat (namespace rocketchat): Helm has no record of it after 60 s");
    });
});

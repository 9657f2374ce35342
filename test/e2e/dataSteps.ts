/**
 * e2e steps for data safety and the program's credential (issues #12, #14):
 * an upgrade that drains the node of a single-instance CloudNativePG
 * cluster, the admin credential rotated with nothing else changed, and
 * `npm run restore -- <kind> --dry-run` against the e2e stack. run.ts calls
 * these with its own `step` and `check`. What stays a stand-in here, and
 * why, is in docs/e2e.md.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { POSTGRES_CLUSTER } from "../../components/platform/services/postgres";
import { POSTGRES_NAMESPACE } from "../../plan/services/postgres";
import { Call, isK3sRestart, isUncordon, mutatingCalls, rollingUpgradeProblems } from "./lib/calls";
import { Harness, REPO, run, tail } from "./harness";

type Step = (name: string, body: () => string | void) => boolean;
type Check = (ok: boolean, message: string) => asserts ok;

const OPERATOR_STUB = path.join(__dirname, "fixtures", "cnpg-operator-stub.sh");
const CLUSTER_KIND = "clusters.postgresql.cnpg.io";
const POD = `${POSTGRES_CLUSTER}-1`;
const PDB = `${POSTGRES_CLUSTER}-primary`;
/** cluster.timeouts.drainSeconds for the blocked drain: long enough for kubectl's first eviction attempt. */
const BLOCKED_DRAIN_SECONDS = 10;

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls `probe` every 0.5 s until it returns a value; throws with `what` and the last state after `seconds`. */
function waitFor<T>(what: string, seconds: number, probe: () => T | undefined, state: () => string = () => ""): T {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s. ${state()}`);
        sleep(500);
    }
}

interface PodObject {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status?: { phase?: string; conditions?: { type: string; status: string }[] };
}
interface PdbObject {
    spec: { minAvailable?: number };
    status?: { disruptionsAllowed?: number; observedGeneration?: number };
}
interface ClusterObject {
    spec: { instances?: number; nodeMaintenanceWindow?: { inProgress?: boolean; reusePVC?: boolean } };
}
interface NodeObject {
    metadata: { annotations?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: { nodeInfo?: { kubeletVersion?: string } };
}

/** An object as JSON, or undefined when the API server has none. */
function getJson<T>(h: Harness, args: string[]): T | undefined {
    const r = h.kubectl([...args, "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
}

const ready = (p: PodObject | undefined) => p?.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
const isWindowPatch = (c: Call, on: boolean) =>
    c.event === "kubectl" && c.args[0] === "-n" && c.args[1] === POSTGRES_NAMESPACE && c.args[2] === "patch" && c.args[3] === CLUSTER_KIND && c.args[4] === POSTGRES_CLUSTER && c.line.includes(`"inProgress":${on}`);
const operatorDid = (c: Call, action: string) => c.event === "cnpg-operator" && c.fields.action === action;

/**
 * The CloudNativePG operator stand-in (test/e2e/fixtures/cnpg-operator-stub.sh),
 * run beside the suite for one Cluster, its instance bound to `node`.
 */
class OperatorStandIn {
    private child?: ChildProcess;
    constructor(
        private readonly h: Harness,
        private readonly node: string,
    ) {}
    start(): void {
        if (this.child) return;
        this.child = spawn("bash", [OPERATOR_STUB, POSTGRES_NAMESPACE, POSTGRES_CLUSTER, this.node, String(process.pid)], {
            env: { ...this.h.env, KUBECONFIG: path.join(this.h.dir, "apiserver", "kubeconfig"), E2E_LOG: path.join(this.h.dir, "calls.log") },
            stdio: "ignore",
            detached: true,
        });
    }
    stop(): void {
        if (!this.child?.pid) return;
        try {
            process.kill(-this.child.pid, "SIGTERM");
        } catch {
            // already gone
        }
        this.child = undefined;
    }
}

/** The program's postgres `Cluster`, from the real `cluster` chart: one instance. */
function programCluster(h: Harness, check: Check): void {
    const cluster = getJson<ClusterObject>(h, ["-n", POSTGRES_NAMESPACE, "get", CLUSTER_KIND, POSTGRES_CLUSTER]);
    check(cluster !== undefined, `the program's Cluster ${POSTGRES_NAMESPACE}/${POSTGRES_CLUSTER} is not in the API server`);
    check(cluster.spec.instances === 1, `${POSTGRES_NAMESPACE}/${POSTGRES_CLUSTER} has ${cluster.spec.instances} instances, expected 1`);
}

/**
 * #12: the k3s upgrade drains the agent that runs the primary of the
 * single-instance postgres cluster. First with no operator to act on the
 * maintenance window (the budget stays): `up` stops naming the budget and
 * leaves the node uncordoned and the window closed. Then with the operator
 * stand-in: the window lifts the budget, the drain evicts the primary, the
 * upgrade goes on, and afterwards the window is closed, the node
 * uncordoned, the budget and the instance back on the node.
 */
export function postgresDrainSteps(h: Harness, step: Step, check: Check, o: { node: string; agents: string[]; from: string; to: string }): void {
    const operator = new OperatorStandIn(h, o.node);
    const pod = () => getJson<PodObject>(h, ["-n", POSTGRES_NAMESPACE, "get", "pod", POD]);
    const pdb = () => getJson<PdbObject>(h, ["-n", POSTGRES_NAMESPACE, "get", "pdb", PDB]);
    const cluster = () => getJson<ClusterObject>(h, ["-n", POSTGRES_NAMESPACE, "get", CLUSTER_KIND, POSTGRES_CLUSTER]);
    const node = () => getJson<NodeObject>(h, ["get", "node", o.node]);
    const podState = () => `pod: ${JSON.stringify(pod()?.status ?? null)}; pdb: ${JSON.stringify(pdb()?.status ?? null)}`;
    /** The primary Running and Ready on the node, its budget computed with 0 disruptions allowed. */
    const placed = (seconds: number) =>
        waitFor(`${POSTGRES_NAMESPACE}/${POD} Ready on ${o.node} with ${PDB} allowing 0 disruptions`, seconds, () => {
            const p = pod();
            const b = pdb();
            return ready(p) && p?.spec.nodeName === o.node && !p.metadata.deletionTimestamp && b?.spec.minAvailable === 1 && (b.status?.observedGeneration ?? 0) >= 1 && b.status?.disruptionsAllowed === 0 ? p : undefined;
        }, podState);
    try {
        const placedOk = step(`u0. the postgres primary (single instance) runs on ${o.node} behind ${POSTGRES_NAMESPACE}/${PDB} (minAvailable 1)`, () => {
            programCluster(h, check);
            operator.start();
            placed(60);
            return `the program's Cluster (instances 1); the operator fake (fixtures/cnpg-operator-stub.sh) made ${POD} on ${o.node} (Ready by the k3s stub's kubelet part) and ${PDB}; the disruption controller allows 0 disruptions`;
        });
        if (!placedOk) return;

        step(`u1. no operator acts on the window: the upgrade's drain of ${o.node} stops within ${BLOCKED_DRAIN_SECONDS} s naming ${POSTGRES_NAMESPACE}/${PDB}; ${o.node} uncordoned, window closed`, () => {
            operator.stop();
            const uid = pod()?.metadata.uid;
            h.editCluster((c) => {
                c.k3sVersion = o.to;
                (c.timeouts as Record<string, number>).drainSeconds = BLOCKED_DRAIN_SECONDS;
            });
            const calls = h.calls().length;
            const failed = h.pulumi(["up", "--yes", "--skip-preview", "--stack", h.stack]);
            const out = failed.stdout + failed.stderr;
            check(failed.code !== 0, `up passed although ${PDB} allows no disruption and nothing lifts it:\n${tail(out, 20)}`);
            const line = out.split("\n").find((l) => l.includes(`drain of ${o.node} blocked within ${BLOCKED_DRAIN_SECONDS}s by PodDisruptionBudget`));
            check(line !== undefined && line.includes(`${POSTGRES_NAMESPACE}/${PDB}`), `no error names the budget ${POSTGRES_NAMESPACE}/${PDB} for ${o.node}:\n${tail(out, 30)}`);
            check(out.includes("Choices:") && out.includes(`${o.node} was uncordoned again`), `the error does not give the choices and the node's state:\n${tail(out, 30)}`);
            const during = h.calls().slice(calls);
            const opened = during.findIndex((c) => isWindowPatch(c, true));
            const closed = during.findIndex((c, i) => i > opened && isWindowPatch(c, false));
            check(opened >= 0 && closed > opened, `the window was not opened then closed again:\n${during.filter((c) => c.event === "kubectl").map((c) => c.line).join("\n")}`);
            const n = node();
            check(!n?.spec?.unschedulable, `${o.node} was left cordoned`);
            check(!n?.metadata.annotations?.["picluster.io/drained-for"] && !n?.metadata.annotations?.["picluster.io/cnpg-maintenance"], `${o.node} still carries the drain annotations: ${JSON.stringify(n?.metadata.annotations)}`);
            check(n?.status?.nodeInfo?.kubeletVersion === o.from, `${o.node} runs ${n?.status?.nodeInfo?.kubeletVersion}, expected it not upgraded (${o.from})`);
            check(cluster()?.spec.nodeMaintenanceWindow?.inProgress === false, `the window is still open: ${JSON.stringify(cluster()?.spec.nodeMaintenanceWindow)}`);
            const p = pod();
            check(p?.metadata.uid === uid && !p?.metadata.deletionTimestamp, `${POD} was evicted although its budget allows no disruption`);
            check(pdb() !== undefined, `${PDB} is gone although no operator ran`);
            return `up failed after ${failed.seconds.toFixed(1)} s: "${line.trim().slice(0, 160)}"; ${o.node} uncordoned at ${o.from}; window opened then closed; ${POD} not evicted`;
        });

        step(`u2. the upgrade drains ${o.node} through CloudNativePG's node maintenance window: budget lifted, primary evicted, window closed, budget and primary back`, () => {
            operator.start();
            placed(60);
            h.editCluster((c) => {
                c.k3sVersion = o.to;
                (c.timeouts as Record<string, number>).drainSeconds = 120;
            });
            const calls = h.calls().length;
            const r = h.pulumiOk(["up", "--yes", "--skip-preview"]);
            const during = h.calls().slice(calls);
            check(!/global timeout reached|blocked within/.test(r.stdout + r.stderr), `a drain timed out:\n${tail(r.stdout + r.stderr, 20)}`);
            const problems = rollingUpgradeProblems(during, o.agents);
            check(problems.length === 0, problems.join("\n"));
            const at = (what: string, pred: (c: Call) => boolean, from = 0) => {
                const i = during.findIndex((c, j) => j >= from && pred(c));
                check(i >= 0, `no ${what} in the call log of the upgrade:\n${during.filter((c) => c.event !== "systemctl").map((c) => c.line).join("\n")}`);
                return i;
            };
            const opened = at("window opened", (c) => isWindowPatch(c, true));
            const lifted = at(`${PDB} deleted by the operator fake`, (c) => operatorDid(c, "pdb-deleted"), opened);
            const drained = at(`drain of ${o.node}`, (c) => c.event === "kubectl" && c.args[0] === "drain" && c.args[1] === o.node, opened);
            const evicted = at(`${POD} deleted by ${o.node}'s kubelet part`, (c) => c.event === "kubelet" && c.node === o.node && c.fields.pod === `${POSTGRES_NAMESPACE}/${POD}`, drained);
            const installed = at(`k3s restart on ${o.node}`, (c) => isK3sRestart(c, o.node), evicted);
            const uncordoned = at(`uncordon of ${o.node}`, (c) => isUncordon(c, o.node), installed);
            const closed = at("window closed", (c) => isWindowPatch(c, false), uncordoned);
            check(lifted < evicted, `${POD} was evicted before its budget was lifted`);
            // The operator stand-in acts on the closed window asynchronously.
            const back = placed(60);
            const n = node();
            check(n?.status?.nodeInfo?.kubeletVersion === o.to && !n.spec?.unschedulable, `${o.node}: ${n?.status?.nodeInfo?.kubeletVersion}, unschedulable ${n?.spec?.unschedulable}`);
            check(!n?.metadata.annotations?.["picluster.io/drained-for"] && !n?.metadata.annotations?.["picluster.io/cnpg-maintenance"], `${o.node} still carries the drain annotations`);
            const w = cluster()?.spec.nodeMaintenanceWindow;
            check(w?.inProgress === false && w.reusePVC === true, `the Cluster's window at the end: ${JSON.stringify(w)}, expected inProgress false, reusePVC true`);
            const after = h.calls().slice(calls + closed);
            check(after.some((c) => operatorDid(c, "pdb-created")) && after.some((c) => operatorDid(c, "pod-created")), "the operator fake did not restore the budget and the instance after the window closed");
            h.pulumiOk(["preview", "--expect-no-changes"]);
            return (
                `up ${r.seconds.toFixed(1)} s, no drain timed out; ${o.agents.join(" → ")} each drain → restart → uncordon; ` +
                `window opened → ${PDB} lifted → drain → ${POD} evicted → restart → uncordon → window closed; ` +
                `then ${PDB} and ${POD} (new uid ${back.metadata.uid.slice(0, 8)}) back on ${o.node}; Cluster inProgress false; no changes after`
            );
        });
    } finally {
        operator.stop();
        // Nothing of it may hold up later drains (the destroy's).
        h.kubectl(["-n", POSTGRES_NAMESPACE, "delete", "pdb", PDB, "--ignore-not-found"]);
        h.kubectl(["-n", POSTGRES_NAMESPACE, "delete", "pod", POD, "--ignore-not-found", "--grace-period=0", "--force"]);
    }
}

interface EngineEvent {
    resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
}

/** The user token of a kubeconfig. */
function tokenOf(kubeconfig: string): string | undefined {
    const doc = yaml.load(kubeconfig) as { users?: { user?: { token?: string } }[] };
    return doc.users?.[0]?.user?.token;
}

/**
 * #12: the program's credential rotated as docs/operations.md says
 * (`up --replace` of the admin-credential command): a new token in the
 * stack output, the old one refused by the API server (its Secret is
 * deleted), and in the update only the credential and the provider changed.
 */
export function credentialRotationStep(h: Harness, step: Step, check: Check, server: string): void {
    step("q. the kubeconfig credential rotates (up --replace <admin-credential>) with no Kubernetes resource changed", () => {
        const exported = JSON.parse(h.pulumiOk(["stack", "export"]).stdout) as { deployment: { resources: { urn: string; type: string }[] } };
        const urn = exported.deployment.resources.find((r) => r.type === "command:remote:Command" && r.urn.endsWith("-admin-credential"))?.urn;
        check(urn !== undefined, "no admin-credential command in the stack");
        const before = h.pulumiOk(["stack", "output", "kubeconfig", "--show-secrets"]).stdout;
        const oldToken = tokenOf(before);
        check(!!oldToken, "the exported kubeconfig has no token");
        const oldKc = path.join(h.dir, "kubeconfig-before-rotation");
        const newKc = path.join(h.dir, "kubeconfig-after-rotation");
        fs.writeFileSync(oldKc, before, { mode: 0o600 });
        try {
            const whoBefore = h.kubectlWith(oldKc, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
            check(whoBefore.code === 0, `the kubeconfig before the rotation does not work: ${whoBefore.stderr.trim()}`);
            const calls = h.calls().length;
            // --json: the engine's events, one JSON object a line.
            const r = h.pulumiOk(["up", "--yes", "--skip-preview", "--replace", urn, "--json"]);
            const ops = r.stdout
                .split("\n")
                .filter((l) => l.startsWith("{"))
                .map((l) => (JSON.parse(l) as EngineEvent).resourcePreEvent?.metadata)
                .filter((m): m is { op: string; urn: string; type: string } => m !== undefined && !["same", "read", "refresh"].includes(m.op));
            const described = [...new Set(ops.map((m) => `${m.op} ${m.type} ${m.urn.split("::").pop()}`))];
            const credential = ops.filter((m) => m.urn === urn).map((m) => m.op);
            const provider = ops.filter((m) => m.type === "pulumi:providers:kubernetes");
            const others = ops.filter((m) => m.urn !== urn && m.type !== "pulumi:providers:kubernetes");
            check(credential.includes("create-replacement") && credential.includes("delete-replaced"), `the credential was not replaced: [${described.join("; ")}]`);
            check(provider.length > 0 && provider.every((m) => m.op === "update"), `the provider was not updated in place: [${described.join("; ")}]`);
            check(others.length === 0, `other resources changed: [${others.map((m) => `${m.op} ${m.type} ${m.urn.split("::").pop()}`).join("; ")}]`);
            // On the node: only admin-credential.sh's kubectl calls, on the first server.
            const onNodes = mutatingCalls(h.calls().slice(calls));
            const foreign = onNodes.filter((c) => c.node !== server || c.event !== "kubectl" || (!c.line.includes("picluster-admin") && c.args[0] !== "apply"));
            check(foreign.length === 0, `the rotation ran more than the credential's script:\n${foreign.map((c) => c.line).join("\n")}`);

            const after = h.pulumiOk(["stack", "output", "kubeconfig", "--show-secrets"]).stdout;
            const newToken = tokenOf(after);
            check(!!newToken && newToken !== oldToken, "the token in the stack output did not change");
            fs.writeFileSync(newKc, after, { mode: 0o600 });
            const who = h.kubectlWith(newKc, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
            check(who.code === 0 && who.stdout.trim() === "system:serviceaccount:kube-system:picluster-admin", `the new kubeconfig authenticates as '${who.stdout.trim()}' (${who.stderr.trim()})`);
            // The API server caches a successful token check for about 10 s; the old token goes once that entry expires.
            const refusedFrom = Date.now();
            let last = "";
            const old = waitFor("the old kubeconfig refused", 60, () => {
                const o = h.kubectlWith(oldKc, ["get", "namespaces", "-o", "name"]);
                last = `exit ${o.code} ${o.stderr.trim()}`;
                return o.code !== 0 && /Unauthorized/i.test(o.stderr) ? o : undefined;
            }, () => `last: ${last}`);
            const refusedAfter = (Date.now() - refusedFrom) / 1000;
            h.pulumiOk(["preview", "--expect-no-changes"]);
            return `up ${r.seconds.toFixed(1)} s: ${described.join("; ")}; new token in the output, authenticates as ${who.stdout.trim()}; the old one refused (${old.stderr.trim().split("\n").pop()}; ${refusedAfter.toFixed(1)} s after the up, the API server's token cache); no changes after`;
        } finally {
            fs.rmSync(oldKc, { force: true });
            fs.rmSync(newKc, { force: true });
        }
    });
}

/** The e2e stack's backup target (no S3 runs here: restore --dry-run and the objects only name it). */
const E2E_BACKUPS = {
    s3: {
        endpoint: "https://s3.e2e.invalid:9000",
        bucket: "picluster-e2e",
        folder: "e2e/site-a",
        credentials: { accessKeyId: "backupAccessKeyId", secretAccessKey: "backupSecretAccessKey" },
    },
};

/** Every object the API server can list, as `kind.group/namespace/name` (events and leases left out: controllers write them). */
function allObjects(h: Harness): Set<string> {
    const kinds = h
        .kubectl(["api-resources", "--verbs=list", "-o", "name"])
        .stdout.split("\n")
        .filter((k) => k && !/^(events|leases)(\.|$)/.test(k));
    const r = h.kubectl(["get", kinds.join(","), "-A", "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}"]);
    if (r.code !== 0) throw new Error(`listing every object failed: ${r.stderr.trim()}`);
    return new Set(r.stdout.split("\n").filter(Boolean));
}

/**
 * #14: `npm run restore -- <etcd|postgres|mongodb> --dry-run` against the
 * e2e stack, with `backups.s3` set (and converged) first if the stack has
 * none: each prints its numbered plan naming the stack's own objects, and
 * nothing changes (no new object in the API server, no call or SSH login on
 * any node).
 */
export function restoreDryRunStep(h: Harness, step: Step, check: Check, server: string): void {
    step("s. npm run restore -- <etcd|postgres|mongodb> --dry-run prints each plan against the e2e stack and changes nothing", () => {
        let configured = "backups.s3 already in the e2e config";
        let target = E2E_BACKUPS.s3;
        h.editConfig((c) => {
            const set = (c["picluster:backups"] as { s3?: typeof E2E_BACKUPS.s3 } | undefined)?.s3;
            if (set) target = set;
        });
        if (target === E2E_BACKUPS.s3) {
            h.pulumiOk(["config", "set", "--secret", "picluster:backupAccessKeyId"], { input: "E2EACCESSKEYID0001" });
            h.pulumiOk(["config", "set", "--secret", "picluster:backupSecretAccessKey"], { input: "e2e-secret-access-key-0123456789" });
            h.editConfig((c) => {
                c["picluster:backups"] = E2E_BACKUPS;
            });
            const r = h.pulumiOk(["up", "--yes", "--skip-preview"]);
            configured = `backups.s3 set (${target.endpoint}, bucket ${target.bucket}, folder ${target.folder}), up ${r.seconds.toFixed(1)} s`;
        }
        const url = (kind: string) => `s3://${target.bucket}/${target.folder ?? h.stack}/${kind}`;
        const serverConfig = fs.readFileSync(path.join(h.node(server).root, "etc-rancher", "k3s", "config.yaml"), "utf8");
        check(serverConfig.includes(`etcd-s3-bucket: ${target.bucket}`), `${server}'s config.yaml has no etcd-s3-bucket ${target.bucket}`);
        const exists = (args: string[]) => h.kubectl([...args, "-o", "name"]).code === 0;

        const objects = allObjects(h);
        const calls = h.calls().length;
        const logins = JSON.stringify(h.sshLogins());
        const env = { ...h.env, PATH: `${h.env.PATH}:${process.env.PATH ?? ""}` };
        const plans: Record<string, string> = {};
        for (const kind of ["etcd", "postgres", "mongodb"]) {
            const r = run("npm", ["run", "--silent", "restore", "--", kind, "--stack", h.stack, "--dry-run"], { cwd: REPO, env, timeoutSeconds: 300 });
            const out = r.stdout;
            check(r.code === 0, `restore ${kind} --dry-run exited ${r.code}:\n${tail(r.stdout + r.stderr, 20)}`);
            check(out.startsWith(`restore ${kind}: `) && /^1\. /m.test(out) && /^2\. /m.test(out), `restore ${kind} --dry-run printed no numbered plan:\n${tail(out, 20)}`);
            check(out.includes(url(kind)), `the ${kind} plan does not name ${url(kind)}:\n${out.split("\n")[0]}`);
            check(!/Run these \d+ steps/.test(out), `restore ${kind} --dry-run asked to run its steps`);
            plans[kind] = out;
        }
        // The plans name the e2e stack's own nodes and objects.
        const s = h.node(server);
        check(plans.etcd.includes(`ssh ${s.user ?? "root"}@127.0.0.1 -p ${s.port} -- sudo k3s server --cluster-reset`), `the etcd plan does not reset ${server} (127.0.0.1:${s.port}):\n${plans.etcd}`);
        check(plans.postgres.includes(`the running cluster ${POSTGRES_CLUSTER} is left as it is`) && plans.postgres.includes(`"serverName": "${POSTGRES_CLUSTER}"`), `the postgres plan does not name the cluster ${POSTGRES_CLUSTER}:\n${tail(plans.postgres, 40)}`);
        const secretsNamed = [...plans.postgres.matchAll(/"name": "(pg-[a-z0-9-]+)"/g)].map((m) => m[1]);
        check(secretsNamed.length > 0, "the postgres plan names no Secret");
        const missing = [...new Set(secretsNamed)].filter((n) => !exists(["-n", POSTGRES_NAMESPACE, "get", "secret", n]));
        check(missing.length === 0, `the postgres plan names Secrets the stack does not have in ${POSTGRES_NAMESPACE}: ${missing.join(", ")}`);
        // The plan recovers the program's Cluster from where that Cluster archives (the real cluster chart's backup settings).
        const pg = getJson<{ spec: { backup?: { barmanObjectStore?: { destinationPath?: string } } } }>(h, ["-n", POSTGRES_NAMESPACE, "get", CLUSTER_KIND, POSTGRES_CLUSTER]);
        check(pg?.spec.backup?.barmanObjectStore?.destinationPath === url("postgres"), `the Cluster ${POSTGRES_CLUSTER} archives to ${pg?.spec.backup?.barmanObjectStore?.destinationPath}, the plan recovers from ${url("postgres")}`);
        check(exists(["-n", POSTGRES_NAMESPACE, "get", "scheduledbackups.postgresql.cnpg.io"]) && h.kubectl(["-n", POSTGRES_NAMESPACE, "get", "scheduledbackups.postgresql.cnpg.io", "-o", "name"]).stdout.trim() !== "", `no ScheduledBackup in ${POSTGRES_NAMESPACE}`);
        const scaled = [...new Set([...plans.mongodb.matchAll(/kubectl -n rocketchat scale (deployment\/\S+)/g)].map((m) => m[1]))];
        check(scaled.length === 1 && exists(["-n", "rocketchat", "get", scaled[0]]), `the mongodb plan scales [${scaled.join(", ")}], not a Deployment the stack has in rocketchat`);
        const mongoSecrets = [...new Set([...plans.mongodb.matchAll(/"name": "(rocketchat-[a-z0-9-]+)",\s*"key"/g)].map((m) => m[1]))];
        const mongoMissing = mongoSecrets.filter((n) => !exists(["-n", "rocketchat", "get", "secret", n]));
        check(mongoSecrets.length > 0 && mongoMissing.length === 0, `the mongodb plan's Secrets [${mongoSecrets.join(", ")}]: missing in rocketchat: [${mongoMissing.join(", ")}]`);
        const cronJobs = h.kubectlJson<{ items: { spec: { jobTemplate: { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } } } }[] }>(["-n", "rocketchat", "get", "cronjobs"]);
        const prefixes = cronJobs.items.flatMap((j) => j.spec.jobTemplate.spec.template.spec.containers.flatMap((c) => c.env ?? [])).filter((e) => e.name === "S3_PREFIX").map((e) => e.value);
        check(prefixes.includes(`${target.folder ?? h.stack}/mongodb`), `no dump CronJob in rocketchat uploads under ${target.folder ?? h.stack}/mongodb (S3_PREFIX: ${prefixes.join(", ")})`);

        const added = [...allObjects(h)].filter((o) => !objects.has(o));
        check(added.length === 0, `the dry runs created objects: ${added.join(", ")}`);
        const newCalls = h.calls().slice(calls);
        check(newCalls.length === 0, `the dry runs ran on the nodes:\n${newCalls.map((c) => c.line).join("\n")}`);
        check(JSON.stringify(h.sshLogins()) === logins, "the dry runs opened SSH sessions");
        const steps = Object.entries(plans).map(([k, p]) => `${k} ${p.split("\n").filter((l) => /^\d+\. /.test(l)).length} steps`);
        return `${configured}; plans: ${steps.join(", ")}, each naming ${url("<kind>")}; etcd resets ${server} at 127.0.0.1:${s.port}; postgres recovers from ${POSTGRES_CLUSTER} with Secrets ${[...new Set(secretsNamed)].join(", ")}; the Cluster archives there and has its ScheduledBackup; mongodb stops and starts ${scaled[0]}, uses ${mongoSecrets.join(", ")} and the dump CronJob's prefix; 0 objects created, 0 node calls, 0 SSH logins`;
    });
}

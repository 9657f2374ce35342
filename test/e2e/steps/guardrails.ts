/**
 * What the running platform keeps out: secrets out of the stack's state (g),
 * the orchestrator's kubeconfig limited to Jobs in the worker namespace (h),
 * and the admission policy that refuses incomplete Jobs there (i).
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { Harness, RunResult } from "../harness";
import { Check, SERVER, Step, TEMPLATE, WORKER_NS } from "./common";

interface JobManifest {
    metadata: { name: string; namespace?: string };
    spec: {
        activeDeadlineSeconds?: number;
        template: { spec: { restartPolicy?: string; containers: { resources?: unknown }[] } };
    };
}

export function guardrailSteps(h: Harness, step: Step, check: Check): void {
    /** The stderr of a kubectl call that must have been refused by the API server as forbidden. */
    const forbidden = (r: RunResult, what: string): string => {
        check(r.code !== 0, `${what} was allowed:\n${r.stdout.trim()}`);
        check(/Forbidden|forbidden/.test(r.stderr), `${what} failed, but not as forbidden: ${r.stderr.trim()}`);
        return r.stderr.trim();
    };

    step("g. stack export holds no SSH key, join token, generated password, kubeconfig client key or service-account token in plain text", () => {
        const exported = h.pulumiOk(["stack", "export"]).stdout;
        const keyBody = fs
            .readFileSync(path.join(h.dir, "client_key"), "utf8")
            .split("\n")
            .filter((l) => l && !l.startsWith("-----"));
        const configYaml = fs.readFileSync(path.join(h.node(SERVER).root, "etc-rancher", "k3s", "config.yaml"), "utf8");
        const token = /^token: *(\S+)/m.exec(configYaml)?.[1];
        check(!!token, "no token in the server's config.yaml");
        const k3sYaml = fs.readFileSync(path.join(h.node(SERVER).root, "etc-rancher", "k3s", "k3s.yaml"), "utf8");
        const clientKeyData = /client-key-data: *(\S+)/.exec(k3sYaml)?.[1];
        check(!!clientKeyData, "no client key in the server's k3s.yaml");
        const clientKeyPem = Buffer.from(clientKeyData, "base64").toString("utf8");
        const clientKeyBody = clientKeyPem.split("\n").filter((l) => l && !l.startsWith("-----"));
        const credentials = JSON.parse(h.pulumiOk(["stack", "output", "credentials", "--show-secrets", "--json"]).stdout) as Record<string, string>;
        const passwords = Object.entries(credentials).filter(([, v]) => typeof v === "string" && v.length >= 8);
        check(passwords.length > 0, "the stack exports no generated credentials to look for");
        // The orchestrator's service-account token, as the token controller wrote it.
        const tokenB64 = h.kubectlJson<{ data?: { token?: string } }>(["-n", WORKER_NS, "get", "secret", "orchestrator-token"]).data?.token;
        check(!!tokenB64, `${WORKER_NS}/orchestrator-token has no token`);
        const saToken = Buffer.from(tokenB64, "base64").toString("utf8");
        const leaks: string[] = [];
        if (exported.includes(tokenB64) || exported.includes(saToken)) leaks.push("orchestrator service-account token");
        for (const [name, value] of passwords) if (exported.includes(value)) leaks.push(`generated credential ${name}`);
        if (keyBody.some((l) => exported.includes(l))) leaks.push("SSH private key");
        if (exported.includes(token)) leaks.push("join token");
        if (exported.includes(clientKeyData) || clientKeyBody.some((l) => exported.includes(l))) leaks.push("kubeconfig client key");
        check(leaks.length === 0, `stack export contains in plain text: ${leaks.join(", ")}`);
        check(exported.includes("4dabf18193072939515e22adb298388d"), "stack export holds no secret envelopes at all (did the secrets vanish?)");
        return `${(exported.length / 1024).toFixed(0)} KiB export; none of SSH key, join token, client key, orchestrator token, ${passwords.length} generated credentials appear`;
    });

    // A Job from the template the program deployed (the job-templates
    // ConfigMap), renamed, optionally edited; as YAML for `kubectl create -f -`.
    let templateText: string | undefined;
    const templateJob = (name: string, edit: (job: JobManifest) => void = () => {}): string => {
        if (templateText === undefined) {
            const cm = h.kubectlJson<{ data: Record<string, string> }>(["-n", WORKER_NS, "get", "configmap", "job-templates"]);
            templateText = cm.data[`${TEMPLATE}.yaml`];
            check(!!templateText, `the job-templates ConfigMap has no ${TEMPLATE}.yaml: ${Object.keys(cm.data).join(", ")}`);
        }
        const job = yaml.load(templateText) as JobManifest;
        job.metadata.name = name;
        edit(job);
        return yaml.dump(job);
    };

    step(`h. the orchestrator's kubeconfig manages Jobs in ${WORKER_NS} and nothing else`, () => {
        const kc = path.join(h.dir, "orchestrator-kubeconfig");
        fs.writeFileSync(kc, h.pulumiOk(["stack", "output", "orchestratorKubeconfig", "--show-secrets"]).stdout, { mode: 0o600 });
        try {
            const as = (args: string[], input?: string) => h.kubectlWith(kc, args, input);
            const who = as(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
            const sa = `system:serviceaccount:${WORKER_NS}:orchestrator`;
            check(who.code === 0 && who.stdout.trim() === sa, `the orchestrator kubeconfig authenticates as '${who.stdout.trim()}' (${who.stderr.trim()}), expected ${sa}`);
            // What RBAC says, then what the API server does.
            const canI = (verb: string, resource: string, ns?: string) => {
                const r = as(["auth", "can-i", verb, resource, ...(ns ? ["-n", ns] : [])]);
                return r.stdout.trim();
            };
            const allowed = ["create", "get", "list", "delete"].map((v) => [v, canI(v, "jobs.batch", WORKER_NS)]);
            check(allowed.every(([, a]) => a === "yes"), `can-i on jobs in ${WORKER_NS}: ${JSON.stringify(allowed)}`);
            const denied: [string, string, string?][] = [
                ["create", "jobs.batch", "default"],
                ["list", "secrets", WORKER_NS],
                ["list", "nodes"],
                ["create", "deployments.apps", WORKER_NS],
            ];
            const saidYes = denied.filter(([v, res, ns]) => canI(v, res, ns) !== "no");
            check(saidYes.length === 0, `can-i says yes (or fails) for: ${saidYes.map((d) => d.join(" ")).join("; ")}`);

            const name = `${TEMPLATE}-e2e-${Date.now() % 100000}`;
            const created = as(["create", "-f", "-", "-o", "name"], templateJob(name));
            check(created.code === 0, `the orchestrator could not create a Job from the template: ${created.stderr.trim()}`);
            const got = as(["-n", WORKER_NS, "get", "job", name, "-o", "jsonpath={.metadata.name}"]);
            check(got.code === 0 && got.stdout === name, `get job ${name}: ${got.stdout}${got.stderr.trim()}`);
            const listed = as(["-n", WORKER_NS, "get", "jobs", "-o", "name"]);
            check(listed.code === 0 && listed.stdout.split("\n").includes(`job.batch/${name}`), `list jobs: ${listed.stdout}${listed.stderr.trim()}`);
            const deleted = as(["-n", WORKER_NS, "delete", "job", name, "--wait=true", "--timeout=30s"]);
            check(deleted.code === 0, `delete job ${name}: ${deleted.stderr.trim()}`);
            check(h.kubectl(["-n", WORKER_NS, "get", "job", name]).code !== 0, `Job ${name} still exists after the orchestrator deleted it`);

            forbidden(as(["create", "-f", "-"], templateJob(`${name}-elsewhere`, (j) => (j.metadata.namespace = "default"))), "creating a Job in namespace default");
            forbidden(as(["-n", WORKER_NS, "get", "secrets"]), `listing Secrets in ${WORKER_NS}`);
            forbidden(as(["get", "nodes"]), "listing Nodes");
            const deployment = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "e2e-sneaky", namespace: WORKER_NS },
                spec: { selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "x:1" }] } } },
            };
            forbidden(as(["create", "-f", "-"], JSON.stringify(deployment)), `creating a Deployment in ${WORKER_NS}`);
            check(h.kubectl(["-n", "default", "get", "job", `${name}-elsewhere`]).code !== 0, "the forbidden Job exists in default");
            check(h.kubectl(["-n", WORKER_NS, "get", "deployment", "e2e-sneaky"]).code !== 0, "the forbidden Deployment exists");
            return `as ${sa}: create/get/list/delete Job ${name} ok; forbidden (can-i no, and refused): Job in default, list Secrets, list Nodes, create Deployment`;
        } finally {
            fs.rmSync(kc, { force: true });
        }
    });

    step(`i. the admission policy refuses incomplete Jobs in ${WORKER_NS}, admits the template`, () => {
        const create = (job: string) => h.kubectl(["create", "--dry-run=server", "-f", "-", "-o", "name"], job);
        const policy = `${WORKER_NS}-job-guardrails`;
        const cases: [string, (j: JobManifest) => void, string][] = [
            ["no activeDeadlineSeconds", (j) => delete j.spec.activeDeadlineSeconds, "spec.activeDeadlineSeconds must be set"],
            ["restartPolicy OnFailure", (j) => (j.spec.template.spec.restartPolicy = "OnFailure"), "spec.template.spec.restartPolicy must be Never"],
            ["no resources", (j) => j.spec.template.spec.containers.forEach((c) => delete c.resources), "every container must declare cpu and memory requests and limits"],
        ];
        const refused: string[] = [];
        let sample = "";
        for (const [what, edit, message] of cases) {
            const r = create(templateJob(`${TEMPLATE}-bad`, edit));
            check(r.code !== 0, `a Job with ${what} was admitted in ${WORKER_NS}`);
            check(r.stderr.includes(policy) && r.stderr.includes(message), `a Job with ${what} was refused, but not by ${policy} with "${message}": ${r.stderr.trim()}`);
            refused.push(what);
            sample ||= r.stderr.trim().split("\n")[0];
        }
        const ok = create(templateJob(`${TEMPLATE}-good`));
        check(ok.code === 0, `the rendered template was refused: ${ok.stderr.trim()}`);
        // The binding selects the worker namespace only.
        const elsewhere = create(templateJob(`${TEMPLATE}-bad`, (j) => {
            j.metadata.namespace = "default";
            delete j.spec.activeDeadlineSeconds;
        }));
        check(elsewhere.code === 0, `the policy also refuses Jobs outside ${WORKER_NS}: ${elsewhere.stderr.trim()}`);
        return `refused by ${policy}: ${refused.join(", ")}; template admitted; the same incomplete Job admitted in default\n${sample}`;
    });
}

import { planStack } from "../../../plan/plan";
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allRules } from "../../../policy/rules";
import { Picluster } from "../../../components/picluster";
import { registeredResources, resetRegistry, setCommandStdout, valueOf, type RegisteredResource } from "../../helpers/mocks";
import { stackSource } from "../../helpers/stacks";
import { clusterCommandStdout } from "./commandStdout";
import { providerFromRef } from "./fromMocks";
import { deployment, namespace } from "./fixtures";

// The engine's side of the Analyzer protocol, as generated in @pulumi/pulumi.
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

const POLICY_DIR = path.join(__dirname, "..", "..", "..", "policy");
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Diagnostic {
    policy: string;
    message: string;
    urn: string;
}

const urnOf = (type: string, name: string) => `urn:pulumi:test::picluster::${type}::${name}`;

function providerMsg(p: { type: string; name: string; urn?: string } | undefined) {
    if (!p) return undefined;
    const m = new analyzerPb.AnalyzerProviderResource();
    m.setType(p.type);
    m.setName(p.name);
    m.setUrn(p.urn ?? urnOf(p.type, p.name));
    m.setProperties(Struct.fromJavaScript({}));
    return m;
}

function fill<T extends { setType(v: string): T; setName(v: string): T; setUrn(v: string): T; setProperties(v: unknown): T; setOptions(v: unknown): T; setProvider(v: unknown): T }>(
    m: T,
    r: { type: string; name: string; props: Record<string, unknown>; provider?: { type: string; name: string; urn?: string } },
): T {
    m.setType(r.type);
    m.setName(r.name);
    m.setUrn(urnOf(r.type, r.name));
    m.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
    m.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const p = providerMsg(r.provider);
    if (p) m.setProvider(p);
    return m;
}

/**
 * Runs the pack exactly as `pulumi preview --policy-pack policy` does: the
 * CLI's analyzer plugin resolves @pulumi/pulumi/cmd/run-policy-pack from the
 * pack directory and runs it there with node; the pack prints its gRPC port.
 * The test then plays the engine.
 */
describe("the pack, run the way the Pulumi CLI runs it", () => {
    let child: ChildProcess;
    let client: any;
    const call = <T>(method: string, req: unknown): Promise<T> =>
        new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    // CrossGuard prefixes each message with the policy's description; the rule's own message follows.
    const diagnostics = (res: any): Diagnostic[] =>
        res.getDiagnosticsList().map((d: any) => ({
            policy: d.getPolicyname(),
            message: String(d.getMessage()).startsWith(`${d.getDescription()}\n`) ? String(d.getMessage()).slice(d.getDescription().length + 1) : d.getMessage(),
            urn: d.getUrn(),
        }));

    beforeAll(async () => {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
        child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr?.on("data", (d) => (stderr += String(d)));
        const port = await new Promise<string>((resolve, reject) => {
            child.stdout?.once("data", (d) => resolve(String(d).trim()));
            child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
        });
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }, 120_000);

    afterAll(() => {
        client?.close();
        child?.kill();
    });

    it("loads under ts-node from the repository's node_modules and serves every rule", async () => {
        const info: any = await call("getAnalyzerInfo", new Empty());
        expect(info.getName()).toBe("picluster");
        const names = info.getPoliciesList().map((p: any) => p.getName());
        expect(names).toEqual([...allRules.map((r) => r.name), "exemption-annotation"]);
    });

    it("reports a workload's problems with the rule's message, and the default provider", async () => {
        const bad = deployment("web", { pod: (s) => (s.containers[0].image = "nginx:latest") });
        const res = await call("analyze", fill(new analyzerPb.AnalyzeRequest(), { ...bad, provider: { type: "pulumi:providers:kubernetes", name: "default_4_34_2" } }));
        const found = diagnostics(res).map((d) => `${d.policy}: ${d.message}`);
        expect(found).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^image-pinned: container "app" \(containers\[0\]\) image "nginx:latest" uses the floating tag 'latest'/),
                expect.stringMatching(/^explicit-kubernetes-provider: uses the default kubernetes provider "default_4_34_2"/),
                expect.stringMatching(/^no-latest: spec\.template\.spec\.containers\[0\]\.image = "nginx:latest"/),
            ]),
        );
    });

    it("judges the rest of a resource whose image is not known yet, instead of giving up on the rule", async () => {
        const pending = deployment("web", {
            pod: (s) => {
                s.containers[0].image = UNKNOWN_STRING;
                s.hostNetwork = true;
            },
        });
        const res = await call("analyze", fill(new analyzerPb.AnalyzeRequest(), pending));
        expect(diagnostics(res).map((d) => `${d.policy}: ${d.message}`)).toEqual(["no-host-namespaces: pod sets hostNetwork: true"]);
    });

    it("honours an exemption and says why, and refuses an annotation without a reason", async () => {
        const exempt = namespace("monitoring", { "pod-security.kubernetes.io/enforce": "privileged" });
        const res: any = await call("analyze", fill(new analyzerPb.AnalyzeRequest(), exempt));
        expect(diagnostics(res)).toEqual([]);
        const na = res.getNotApplicableList().map((n: any) => `${n.getPolicyName()}: ${n.getReason()}`);
        expect(na).toEqual(expect.arrayContaining([expect.stringMatching(/^namespace-pod-security: exempt: kube-prometheus-stack's prometheus-node-exporter/)]));
        const sloppy = namespace("apps", undefined, { "picluster.io/policy-exempt": "probes:" });
        expect(diagnostics(await call("analyze", fill(new analyzerPb.AnalyzeRequest(), sloppy))).map((d) => d.message)).toEqual([
            'picluster.io/policy-exempt: the exemption from "probes" gives no reason',
        ]);
    });

    it("passes the whole pi stack built under mocks, resource by resource and as a stack", async () => {
        setCommandStdout(clusterCommandStdout());
        resetRegistry();
        const platform = new Picluster("picluster", planStack(stackSource("pi")));
        await valueOf(platform.kubeconfig);
        // Secret envelopes stay as the engine sends them: the pack unwraps them itself.
        const resources = (await registeredResources()).filter((r: RegisteredResource) => r.type !== "pulumi:pulumi:Stack");
        const asView = (r: RegisteredResource) => ({ type: r.type, name: r.name, props: r.inputs, provider: providerFromRef(r.provider) });
        const perResource = await Promise.all(resources.map((r) => call("analyze", fill(new analyzerPb.AnalyzeRequest(), asView(r))).then(diagnostics)));
        expect(perResource.flat()).toEqual([]);
        const stackReq = new analyzerPb.AnalyzeStackRequest();
        stackReq.setResourcesList(resources.map((r) => fill(new analyzerPb.AnalyzerResource(), asView(r))));
        expect(diagnostics(await call("analyzeStack", stackReq))).toEqual([]);
        expect(resources.length).toBeGreaterThan(40);
    });
});

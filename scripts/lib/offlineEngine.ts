import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { kept } from "../../components/cluster/drift/nodeObservation";
import { secretEnvelope } from "./secrets";
import { offlineSecret } from "./stackFile";

/*
 * The Pulumi engine replaced by mocks: every registration recorded, and the
 * values only a real deployment would have (generated secrets, command
 * output, service-account tokens) made up. Shared by the offline render and
 * the unit-test mocks.
 */

/** One resource as the mock engine saw it: plain inputs, secrets still wrapped. */
export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** Provider reference (`urn::id`) the resource was registered with, if any. */
    provider?: string;
    custom?: boolean;
}

/** A kubeconfig shaped like the one k3s writes, so the program can rewrite it offline. */
export const OFFLINE_KUBECONFIG = YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "b2ZmbGluZQ==" } }],
    contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
    users: [{ name: "default", user: { token: offlineSecret("kubeconfig-token") } }],
    "current-context": "default",
});

/** How a mock engine makes up the values only a real deployment would have. */
export interface MockAnswers {
    /** A stand-in secret: `random` results and service-account tokens, by resource name. */
    secret(kind: "random" | "token", name: string): string;
    /** The stdout of a command resource, by resource name. */
    stdout(name: string): string;
}

export const offlineAnswers: MockAnswers = {
    secret: (kind, name) => offlineSecret(`${kind}:${name}`),
    // The CA hash joins pin: a placeholder offline (64 hex digits, like sha256sum's).
    stdout: (name) =>
        name.endsWith("-kubeconfig")
            ? OFFLINE_KUBECONFIG
            : name.endsWith("-ca-hash")
              ? `${"0".repeat(64)}  server-ca.crt\n`
              : name.endsWith("-admin-credential")
                ? Buffer.from(offlineSecret("admin-credential")).toString("base64")
                : "",
};

/**
 * State a mock engine returns: the inputs, plus the outputs the program
 * reads (generated secrets, command output, service-account tokens). Shared
 * by the offline render and the unit-test mocks.
 */
export function mockState(args: pulumi.runtime.MockResourceArgs, answers: MockAnswers = offlineAnswers): Record<string, unknown> {
    const state: Record<string, unknown> = { ...args.inputs };
    if (args.type.startsWith("random:")) state.result = pulumi.secret(answers.secret("random", args.name));
    if (args.type === "command:remote:Command" || args.type === "command:local:Command") {
        state.stdout = args.type === "command:remote:Command" ? answers.stdout(args.name) : "";
        state.stderr = "";
    }
    if (args.type === "pulumi-nodejs:dynamic/picluster:NodeObservation") {
        // What the observation's create records on a healthy node.
        return { ...kept(args.inputs), generation: 0, reimageGeneration: 0, lastRepairs: [] };
    }
    if (args.type === "kubernetes:core/v1:Secret" && args.inputs.type === "kubernetes.io/service-account-token") {
        // The token controller fills these; the provider waits for it.
        state.data = { token: Buffer.from(answers.secret("token", args.name)).toString("base64") };
    }
    return state;
}

/** Installs mocks that record every registration into `into`. */
export function installOfflineMocks(stack: string, into: RegisteredResource[], answers: MockAnswers = offlineAnswers): void {
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                // A read (`Secret.get`: the CA's certificate) registers nothing: it is answered, not recorded.
                if (args.id) return { id: args.id, state: mockState(args, answers) };
                into.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom });
                return { id: `${args.name}-id`, state: mockState(args, answers) };
            },
            call(args) {
                return args.inputs;
            },
        },
        "picluster",
        stack,
        false,
        "organization",
    );
}

/** Waits until registrations stop arriving (outputs resolve and RPCs drain asynchronously). */
export async function settle(registered: RegisteredResource[], quietRounds = 25): Promise<void> {
    let quiet = 0;
    let seen = -1;
    for (let round = 0; round < 10_000 && quiet < quietRounds; round++) {
        await new Promise((r) => setImmediate(r));
        if (registered.length === seen) quiet++;
        else {
            quiet = 0;
            seen = registered.length;
        }
    }
}

/** Resolves every Output inside `value` (stack exports) to plain data, keeping secrets wrapped. */
export async function resolveOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as pulumi.Output<unknown>;
        const [plain, secret] = await Promise.all([
            new Promise<unknown>((resolve) => o.apply((v) => resolve(v))),
            (o as unknown as { isSecret: Promise<boolean> }).isSecret,
        ]);
        const inner = await resolveOutputs(plain);
        return secret ? secretEnvelope(inner) : inner;
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
    if (value && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveOutputs(v)] as const));
        return Object.fromEntries(entries);
    }
    return value instanceof pulumi.Resource ? "(resource)" : value;
}

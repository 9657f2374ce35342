import * as pulumi from "@pulumi/pulumi";
import { installOfflineMocks, MockAnswers, RegisteredResource, settle } from "../../scripts/lib/offlineEngine";
import { isSecretEnvelope } from "../../scripts/lib/secrets";

// Shared with the offline renderer (scripts/lib/offlineEngine.ts, scripts/lib/secrets.ts).
export { type RegisteredResource } from "../../scripts/lib/offlineEngine";
export { isSecretEnvelope, unwrapSecrets } from "../../scripts/lib/secrets";

/**
 * Paths (`stdin`, `connection.privateKey`, …) where `needle` occurs in `inputs`
 * outside any secret envelope — i.e. where it would land in plain state.
 */
export function plainOccurrences(inputs: unknown, needle: string, path = ""): string[] {
    if (isSecretEnvelope(inputs)) return [];
    if (typeof inputs === "string") return inputs.includes(needle) ? [path || "(root)"] : [];
    if (Array.isArray(inputs)) return inputs.flatMap((x, i) => plainOccurrences(x, needle, `${path}[${i}]`));
    if (typeof inputs === "object" && inputs !== null) {
        return Object.entries(inputs).flatMap(([k, x]) => plainOccurrences(x, needle, path ? `${path}.${k}` : k));
    }
    return [];
}

const registered: RegisteredResource[] = [];

/** The client key inside the mock kubeconfig, for secret-hygiene assertions. */
export const MOCK_CLIENT_KEY = "bW9jay1jbGllbnQta2V5LXNlY3JldA==";

/** A kubeconfig as k3s writes it (server on loopback), for the mock kubeconfig command. */
export const MOCK_K3S_KUBECONFIG = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: default",
    "    cluster:",
    "      server: https://127.0.0.1:6443",
    "      certificate-authority-data: Q0E=",
    "contexts:",
    "  - name: default",
    "    context: { cluster: default, user: default }",
    "current-context: default",
    "users:",
    "  - name: default",
    "    user:",
    "      client-certificate-data: Q0VSVA==",
    `      client-key-data: ${MOCK_CLIENT_KEY}`,
    "",
].join("\n");

/** The admin ServiceAccount token the mocked first server hands out. */
export const MOCK_ADMIN_TOKEN = "mock-admin-sa-token";

/** sha256 of the first server's CA, as the mocked `sha256sum` prints it. */
export const MOCK_CA_HASH = "c0ffee".repeat(10) + "c0ff";

/** Realistic answers for the commands whose stdout other resources parse. */
export function defaultCommandStdout(name: string): string {
    if (name.endsWith("-kubeconfig")) return MOCK_K3S_KUBECONFIG;
    if (name.endsWith("-admin-credential")) return `${Buffer.from(MOCK_ADMIN_TOKEN).toString("base64")}\n`;
    if (name.endsWith("-ca-hash")) return `${MOCK_CA_HASH}  /var/lib/rancher/k3s/server/tls/server-ca.crt\n`;
    const preflight = /^(.*)-preflight$/.exec(name);
    if (preflight) return `check arch ok\nfact hostname ${preflight[1]}\nfact machine-id id-${preflight[1]}\n`;
    return "";
}

let stdoutFor: (name: string) => string = defaultCommandStdout;
export function setCommandStdout(fn: (name: string) => string): void {
    stdoutFor = fn;
}

const testAnswers: MockAnswers = {
    secret: (kind, name) => (kind === "random" ? `mock-password-${name}` : `mock-sa-token-${name}`),
    stdout: (name) => stdoutFor(name),
};

export function installMocks(): void {
    installOfflineMocks("test", registered, testAnswers);
}

/** Forgets everything registered so far (call in beforeEach). */
export function resetRegistry(): void {
    registered.length = 0;
}

/** Waits until pending registrations settle, then returns what was registered. */
export async function registeredResources(): Promise<RegisteredResource[]> {
    // Registration is asynchronous; wait until no new registration arrives.
    await settle(registered);
    return [...registered];
}

/** Resolves an Output's value under mocks. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Resolves whether an Output is marked secret. */
export function isSecret<T>(o: pulumi.Output<T>): Promise<boolean> {
    return (o as unknown as { isSecret: Promise<boolean> }).isSecret;
}

/** A resource as a transformation saw it: live props and options (dependsOn, provider). */
export interface RecordedResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    opts: pulumi.CustomResourceOptions;
}

/**
 * A transformation that records every resource registered below the
 * component it is passed to (`{ transformations: [rec.transform] }`), so
 * tests can assert on dependencies and explicit providers.
 */
export function recorder(): { transform: pulumi.ResourceTransformation; resources: RecordedResource[] } {
    const resources: RecordedResource[] = [];
    return {
        resources,
        transform(args) {
            resources.push({ type: args.type, name: args.name, props: args.props, opts: args.opts as pulumi.CustomResourceOptions });
            return undefined;
        },
    };
}

/** The logical names of the resources an option list depends on. */
export async function dependencyNames(opts: pulumi.ResourceOptions): Promise<string[]> {
    const deps = await valueOf(pulumi.output(opts.dependsOn ?? []));
    const list = (Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[];
    const urns = await Promise.all(list.map((d) => valueOf(d.urn)));
    return urns.map((u) => u.split("::").pop() as string).sort();
}

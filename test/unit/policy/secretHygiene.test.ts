import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecret, MOCK_ADMIN_TOKEN, plainOccurrences, type RegisteredResource, registeredResources, resetRegistry, setCommandStdout, unwrapSecrets, valueOf } from "../../helpers/mocks";
import { stackValues, TEST_SSH_KEY } from "../../helpers/stacks";
import { clusterCommandStdout } from "./commandStdout";

/** The private half of the admin client certificate k3s writes into its kubeconfig (mock material). */
const CLIENT_KEY = "bW9jay1rdWJlY29uZmlnLWNsaWVudC1rZXk=";

setCommandStdout(clusterCommandStdout(CLIENT_KEY));

/** A secret the user keeps in stack config (`pulumi config set --secret`). */
const APP_SECRET = "config-secret-placemyparents-api-key";

/** The SSH key's body: what would identify it in a command line or a log. */
const SSH_KEY_BODY = TEST_SSH_KEY.split("\n")[1];

describe("secret hygiene of the whole pi stack, run through index.ts", () => {
    let registered: RegisteredResource[];
    let exports: Record<string, unknown>;

    beforeAll(async () => {
        resetRegistry();
        // Feed the committed pi stack's config the way the engine would, the SSH key as a secret config value.
        const { values, secretKeys } = stackValues("pi");
        // The committed pi stack holds no `secure:` app secret; give its app one, read from secret config like a user would.
        (values.apps as Record<string, unknown>[])[0].secrets = { MCP_API_KEY: "placemyparentsApiKey" };
        const config: Record<string, string> = { "picluster:sshPrivateKey": TEST_SSH_KEY, "picluster:placemyparentsApiKey": APP_SECRET };
        for (const [k, v] of Object.entries(values)) config[`picluster:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
        pulumi.runtime.setAllConfig(config, ["picluster:sshPrivateKey", "picluster:placemyparentsApiKey", ...secretKeys.map((k) => `picluster:${k}`)]);
        exports = await import("../../../index");
        await Promise.all(Object.values(exports).filter(pulumi.Output.isInstance).map((o) => valueOf(o as pulumi.Output<unknown>)));
        registered = await registeredResources();
    });

    /** Every secret the stack handles, with where it must be found (wrapped) to prove the needle is real. */
    function needles(): { what: string; needle: string; mustReach?: string }[] {
        const passwords = registered.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
        return [
            { what: "SSH private key", needle: SSH_KEY_BODY, mustReach: "command:remote:Command" },
            // k3s.yaml's client key is read but no longer used: the provider authenticates with the admin token.
            { what: "kubeconfig client key", needle: CLIENT_KEY },
            { what: "admin ServiceAccount token", needle: MOCK_ADMIN_TOKEN, mustReach: "pulumi:providers:kubernetes" },
            { what: "app secret from stack config", needle: APP_SECRET, mustReach: "kubernetes:" },
            ...passwords.map((p) => ({
                what: `generated password ${p.name}`,
                needle: `mock-password-${p.name}`,
                // The basic-auth password reaches Traefik only as its bcrypt hash (test/unit/ingress/frontDoor.test.ts checks it).
                mustReach: p.name.endsWith("-join-token") || p.name.endsWith("-agent-token") ? "command:remote:Command" : p.name.endsWith("-basic-auth-password") ? undefined : "kubernetes:",
            })),
        ];
    }

    it("generates the join token and the service passwords with @pulumi/random; each is checked below", () => {
        const names = needles().map((n) => n.what);
        console.log(`[secret hygiene pi] ${names.join(", ")}`);
        expect(names).toContain("generated password cluster-join-token");
        expect(names.filter((n) => n.startsWith("generated password")).length).toBeGreaterThan(1);
    });

    it("the secrets really reach the resources that need them — inside secret envelopes", () => {
        for (const { what, needle, mustReach } of needles()) {
            if (!mustReach) continue;
            const reached = registered.filter((r) => r.type.startsWith(mustReach) && JSON.stringify(unwrapSecrets(r.inputs)).includes(needle));
            expect(reached.length, `${what} reaches a ${mustReach}`).toBeGreaterThan(0);
        }
    });

    it("no secret appears unwrapped in any resource input: commands, stdin, environment, connections, Helm values, manifests", () => {
        const leaks = needles().flatMap(({ what, needle }) =>
            registered.flatMap((r) => plainOccurrences(r.inputs, needle).map((path) => `${what} in plain ${r.type} ${r.name}.${path}`)),
        );
        expect(leaks).toEqual([]);
    });

    it("no secret appears in a plain stack export, and the kubeconfig export is secret", async () => {
        expect(Object.keys(exports)).toContain("kubeconfig");
        expect(await isSecret(exports.kubeconfig as pulumi.Output<string>)).toBe(true);
        const leaks: string[] = [];
        for (const [name, value] of Object.entries(exports)) {
            if (pulumi.Output.isInstance(value) && (await isSecret(value as pulumi.Output<unknown>))) continue;
            const plain = JSON.stringify(pulumi.Output.isInstance(value) ? await valueOf(value as pulumi.Output<unknown>) : value) ?? "";
            for (const { what, needle } of needles()) if (plain.includes(needle)) leaks.push(`${what} in export ${name}`);
        }
        expect(leaks).toEqual([]);
    });
});

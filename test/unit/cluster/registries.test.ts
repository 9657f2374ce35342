import * as yaml from "js-yaml";
import { beforeEach, describe, expect, it } from "vitest";
import { renderRegistriesYaml } from "../../../components/cluster/install/registriesFile";
import { Picluster } from "../../../components/picluster";
import { ConfigError, loadConfig } from "../../../config/load";
import { planStack } from "../../../plan/plan";
import { registriesSchema, registryProblems, registryWarnings } from "../../../config/schema/registries";
import {
    dependencyNames,
    plainOccurrences,
    recorder,
    RecordedResource,
    RegisteredResource,
    registeredResources,
    resetRegistry,
    unwrapSecrets,
    valueOf,
} from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";

const PASSWORD = "s3cret-registry-password";

const registries = (cacheEndpoint = "http://registry-cache.lan:5000") => ({
    mirrors: { "docker.io": { endpoint: [cacheEndpoint] }, "registry.lan": { endpoint: ["https://registry.lan"] } },
    configs: { "registry.lan": { auth: { username: "ci", passwordKey: "registryPassword" } } },
});

function piSource(regs: unknown, secrets: Record<string, string> = { registryPassword: PASSWORD }, secretKeys = Object.keys(secrets)) {
    const cluster = { ...(stackValues("pi").values.cluster as Record<string, unknown>), registries: regs };
    return stackSource("pi", { cluster, ...secrets }, { secretKeys });
}

async function build(regs: unknown): Promise<{ registered: RegisteredResource[]; recorded: RecordedResource[] }> {
    resetRegistry();
    const rec = recorder();
    const p = new Picluster("picluster", planStack(piSource(regs)), { transformations: [rec.transform] });
    await valueOf(p.kubeconfig);
    return { registered: await registeredResources(), recorded: rec.resources };
}

const problemsOf = (regs: unknown) => {
    // An unreferenced secret key is a problem of its own: set it only when referenced.
    const secrets: Record<string, string> = JSON.stringify(regs).includes('"registryPassword"') ? { registryPassword: PASSWORD } : {};
    try {
        loadConfig(piSource(regs, secrets));
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
};

describe("cluster.registries validation, before anything is registered", () => {
    it("accepts mirrors and auth that names a secret key", () => {
        expect(problemsOf(registries())).toEqual([]);
    });

    it("refuses a mirror endpoint that is not a URL, naming the key and the fix", () => {
        const problems = problemsOf({ mirrors: { "docker.io": { endpoint: ["registry-cache.lan:5000"] } } });
        expect(problems).toEqual([expect.stringContaining('picluster:cluster.registries.mirrors.docker.io.endpoint[0] = "registry-cache.lan:5000"')]);
        expect(problems[0]).toContain("use http(s)://host[:port]");
    });

    it("refuses a plain-text password and says to store it as a secret key", () => {
        const problems = problemsOf({ configs: { "registry.lan": { auth: { username: "ci", password: "hunter2" } } } });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain("auth.password");
        expect(problems[0]).toContain("pulumi config set --secret registryPassword");
    });

    it("refuses auth that references a missing secret key, or one stored in plain text", () => {
        expect(problemsOf({ configs: { "registry.lan": { auth: { username: "ci", passwordKey: "nope" } } } })).toEqual([
            expect.stringContaining("no key picluster:nope is set"),
        ]);
        const plain = loadConfigProblems(piSource(registries(), { registryPassword: PASSWORD }, []));
        expect(plain).toEqual([expect.stringContaining("picluster:registryPassword (referenced by cluster.registries.configs[\"registry.lan\"].auth.passwordKey) is stored in plain text")]);
    });

    it("refuses a CA that is not a PEM certificate, and a CA together with insecureSkipVerify", () => {
        expect(registryProblems({ mirrors: {}, configs: { r: { tls: { ca: "not a cert", insecureSkipVerify: false } } } }).map((p) => p.path.join("."))).toEqual(["configs.r.tls.ca"]);
        const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        expect(registryProblems({ mirrors: {}, configs: { r: { tls: { ca: pem, insecureSkipVerify: true } } } }).map((p) => p.path.join("."))).toEqual(["configs.r.tls"]);
    });

    it("warns about insecureSkipVerify, naming the registry", () => {
        const spec = registriesSchema.parse({ configs: { "registry.lan": { tls: { insecureSkipVerify: true } } } });
        expect(registryWarnings(spec)).toEqual([expect.stringContaining('configs["registry.lan"].tls.insecureSkipVerify is true')]);
    });
});

function loadConfigProblems(source: ReturnType<typeof stackSource>): string[] {
    try {
        loadConfig(source);
        return [];
    } catch (e) {
        return (e as ConfigError).problems;
    }
}

describe("renderRegistriesYaml", () => {
    it("writes k3s's shape: mirrors with endpoints, auth with the resolved password, CA as a file path", () => {
        const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        const spec = registriesSchema.parse({ ...registries(), configs: { "registry.lan": { auth: { username: "ci", passwordKey: "registryPassword" }, tls: { ca: pem } } } });
        const doc = yaml.load(renderRegistriesYaml(spec, { registryPassword: PASSWORD })) as any;
        expect(doc.mirrors["docker.io"]).toEqual({ endpoint: ["http://registry-cache.lan:5000"] });
        expect(doc.configs["registry.lan"]).toEqual({
            auth: { username: "ci", password: PASSWORD },
            tls: { ca_file: "/etc/rancher/k3s/registry-ca/registry.lan.crt" },
        });
    });
});

describe("registries on the pi stack", () => {
    let first: Awaited<ReturnType<typeof build>>;

    beforeEach(async () => {
        first = await build(registries());
    });

    const steps = (list: RegisteredResource[]) => list.filter((r) => r.name.endsWith("-registries") && r.type === "command:remote:Command");

    it("gives every node a registries step that runs node-registries.sh with sudo", () => {
        expect(steps(first.registered).map((r) => r.name)).toEqual(["cp-1-registries", "pi-1-registries", "pi-2-registries", "pi-3-registries", "pi-4-registries"]);
        for (const s of steps(first.registered)) {
            expect(s.inputs.update).toContain("sudo -n env MODE=apply");
            expect(s.inputs.delete).toContain("MODE=remove");
        }
    });

    it("sends the file only inside a secret stdin, never in plain inputs", () => {
        for (const s of steps(first.registered)) {
            expect(JSON.stringify(unwrapSecrets(s.inputs.stdin))).toContain(PASSWORD);
            expect(JSON.stringify(unwrapSecrets(s.inputs.stdin))).toContain("registry-cache.lan");
        }
        for (const needle of [PASSWORD, "registry-cache.lan:5000"]) {
            const leaks = first.registered.flatMap((r) => plainOccurrences(r.inputs, needle).map((p) => `${r.name}.${p}`));
            expect(leaks).toEqual([]);
        }
    });

    it("chains the steps one node at a time, servers first, and installs k3s after the node's file is there", async () => {
        const opts = (name: string) => (first.recorded.find((r) => r.name === name) as RecordedResource).opts;
        expect(await dependencyNames(opts("cp-1-registries"))).toEqual([]);
        expect(await dependencyNames(opts("pi-1-registries"))).toEqual(["cp-1-registries"]);
        expect(await dependencyNames(opts("pi-4-registries"))).toEqual(["pi-3-registries"]);
        expect(await dependencyNames(opts("pi-2-install"))).toEqual(["cp-1-install", "pi-2-preinstall", "pi-2-registries"]);
    });

    it("changing one mirror changes the registries step of each node and nothing else", async () => {
        const second = await build(registries("http://other-cache.lan:5000"));
        const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
        const byName = new Map(first.registered.map((r) => [key(r), r]));
        const changed = second.registered
            .filter((r) => JSON.stringify(unwrapSecrets(r.inputs)) !== JSON.stringify(unwrapSecrets(byName.get(key(r))?.inputs)))
            .map((r) => r.name);
        expect(changed).toEqual(["cp-1-registries", "pi-1-registries", "pi-2-registries", "pi-3-registries", "pi-4-registries"]);
        for (const s of steps(second.registered)) {
            const before = byName.get(key(s)) as RegisteredResource;
            expect({ ...s.inputs, stdin: undefined }).toEqual({ ...before.inputs, stdin: undefined });
        }
    });

    it("registers no registries step when cluster.registries is unset", async () => {
        resetRegistry();
        const p = new Picluster("picluster", planStack(stackSource("pi")));
        await valueOf(p.kubeconfig);
        expect(steps(await registeredResources())).toEqual([]);
    });
});

describe("cluster.registries on an existing cluster", () => {
    it("is refused: picluster only writes registries.yaml to nodes it bootstraps", () => {
        const source = stackSource("pi", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: "apiVersion: v1", registries: registries() }, registryPassword: PASSWORD }, { secretKeys: ["cluster", "registryPassword"] });
        expect(() => planStack(source)).toThrow(/cluster\.registries is set together with cluster\.kubeconfig/);
    });
});

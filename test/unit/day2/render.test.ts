import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { scriptText } from "../../../components/cluster/nodeScripts";
import { leakedSecrets, SECRET_SENTINELS } from "../../../scripts/lib/leaks";
import type { RegisteredResource } from "../../../scripts/lib/offlineEngine";
import { describeCommand, nodeOfCommand, renderFiles } from "../../../scripts/lib/renderFiles";
import { REDACTED } from "../../../scripts/lib/secrets";
import { offlineConfig, OFFLINE_SSH_KEY } from "../../../scripts/lib/stackFile";
import { TEST_SSH_KEY } from "../../helpers/stacks";

const REPO = path.join(__dirname, "..", "..", "..");
const run = promisify(execFile);

function listFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
}

/** What a secret looks like when the SDK serialises it. */
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

describe("npm run render (the real program, offline)", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
    const files: Record<string, string[]> = {};
    const nodesOf = (stack: string) =>
        (YAML.parse(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")).config["picluster:cluster"].nodes as { name: string }[]).map((n) => n.name);

    beforeAll(async () => {
        const tsx = path.join(REPO, "node_modules", ".bin", "tsx");
        await Promise.all(["dev", "pi"].map((stack) => run(tsx, [path.join(REPO, "scripts", "render.ts"), stack, "--out", out])));
        for (const stack of ["dev", "pi"]) files[stack] = listFiles(path.join(out, stack)).sort();
    }, 120_000);

    it.each(["dev", "pi"])("writes every node's scripts and k3s config for %s", (stack) => {
        for (const node of nodesOf(stack)) {
            for (const step of ["install", "drain", "upgrade", "ready", "preflight"]) expect(files[stack]).toContain(`nodes/${node}/${node}-${step}.sh`);
            expect(files[stack]).toContain(`nodes/${node}/k3s-config.yaml`);
            expect(files[stack]).toContain(`k8s/_cluster/nodepatch-${node}.yaml`);
        }
    });

    it.each(["dev", "pi"])("writes only YAML that parses, besides the node scripts (%s)", (stack) => {
        const yamlFiles = files[stack].filter((f) => f.endsWith(".yaml"));
        expect(yamlFiles.length).toBeGreaterThan(3);
        for (const f of yamlFiles) {
            const doc = YAML.parseDocument(fs.readFileSync(path.join(out, stack, f), "utf8"));
            expect(doc.errors, f).toEqual([]);
        }
        expect(files[stack].filter((f) => !f.endsWith(".yaml")).every((f) => f.startsWith("nodes/") && f.endsWith(".sh"))).toBe(true);
    });

    it.each(["dev", "pi"])("contains no secret: no SSH key, no generated password, no join token (%s)", (stack) => {
        for (const f of files[stack]) {
            const text = fs.readFileSync(path.join(out, stack, f), "utf8");
            for (const needle of [...SECRET_SENTINELS, "PRIVATE KEY", TEST_SSH_KEY, "mock-password"]) expect(text, `${f} contains ${needle}`).not.toContain(needle);
        }
        for (const node of nodesOf(stack)) {
            const config = YAML.parse(fs.readFileSync(path.join(out, stack, "nodes", node, "k3s-config.yaml"), "utf8"));
            expect(config.token).toBe(REDACTED);
            expect(config["node-name"]).toBe(node);
        }
        expect(YAML.parse(fs.readFileSync(path.join(out, stack, "outputs.yaml"), "utf8")).kubeconfig).toBe(REDACTED);
    });

    it("shows each script's parameters and text, so a version change is a readable diff", () => {
        const install = fs.readFileSync(path.join(out, "pi", "nodes", "pi-1", "pi-1-install.sh"), "utf8");
        expect(install).toContain("# connection: pi@192.168.1.21:22");
        expect(install).toContain("#   TARGET_VERSION=v1.33.5+k3s1");
        expect(install).toContain("### update");
        expect(install).toContain("### delete");
        // The text the node runs: the script with its shared pieces inlined.
        expect(install).toContain(scriptText("k3s-install.sh").trimEnd());
        const agentConfig = YAML.parse(fs.readFileSync(path.join(out, "pi", "nodes", "pi-1", "k3s-config.yaml"), "utf8"));
        expect(agentConfig.server).toBe("https://192.168.1.10:6443");
    });

    it("renders the same files twice in a row", async () => {
        const again = fs.mkdtempSync(path.join(os.tmpdir(), "render-again-"));
        await run(path.join(REPO, "node_modules", ".bin", "tsx"), [path.join(REPO, "scripts", "render.ts"), "dev", "--out", again]);
        const second = listFiles(path.join(again, "dev")).sort();
        expect(second).toEqual(files.dev);
        for (const f of second) expect(fs.readFileSync(path.join(again, "dev", f), "utf8")).toBe(fs.readFileSync(path.join(out, "dev", f), "utf8"));
    }, 60_000);
});

describe("renderFiles", () => {
    const nodes = [
        { name: "pi-1", host: "10.0.0.21" },
        { name: "pi-10", host: "10.0.0.30" },
    ];

    it("writes Kubernetes objects per namespace and Helm releases with chart, repo, version and values, secrets redacted", () => {
        const registered: RegisteredResource[] = [
            {
                type: "kubernetes:core/v1:Secret",
                name: "db-credentials",
                inputs: { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "postgres" }, stringData: secret({ password: "mock-password-db" }) },
            },
            {
                type: "kubernetes:apps/v1:Deployment",
                name: "web",
                inputs: { metadata: { name: "web", namespace: "apps" }, spec: { replicas: 2 } },
            },
            {
                type: "kubernetes:helm.sh/v3:Release",
                name: "picluster-ollama",
                inputs: { name: "ollama", chart: "ollama", version: "1.77.0", repositoryOpts: { repo: "https://helm.otwld.com/" }, values: { auth: secret("mock-password-x"), replicas: 1 } },
            },
            { type: "pulumi:providers:kubernetes", name: "k8s", inputs: { kubeconfig: secret("x") } },
        ];
        const files = renderFiles(registered, nodes);
        const secretFile = YAML.parse(files.get("k8s/postgres/secret-db.yaml") as string);
        expect(secretFile).toEqual({ apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "postgres" }, stringData: REDACTED });
        expect(YAML.parse(files.get("k8s/apps/deployment-web.yaml") as string)).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
        const release = files.get("helm/ollama.yaml") as string;
        expect(YAML.parse(release)).toEqual({ name: "ollama", chart: "ollama", version: "1.77.0", repositoryOpts: { repo: "https://helm.otwld.com/" }, values: { auth: REDACTED, replicas: 1 } });
        expect(release.indexOf("chart:")).toBeLessThan(release.indexOf("values:"));
        expect([...files.keys()].some((f) => f.includes("provider"))).toBe(false);
        expect(leakedSecrets(files)).toEqual([]);
        expect([...files.values()].join("\n")).not.toContain("mock-password");
    });

    it("never prints the SSH key of a command's connection", () => {
        const files = renderFiles(
            [{ type: "command:remote:Command", name: "pi-1-ready", inputs: { connection: secret({ host: "10.0.0.21", user: "pi", port: 22, privateKey: TEST_SSH_KEY }), create: "true" } }],
            nodes,
        );
        const text = files.get("nodes/pi-1/pi-1-ready.sh") as string;
        expect(text).toContain("pi@10.0.0.21:22");
        expect(text).not.toContain("PRIVATE KEY");
    });

    it("finds the leak when a secret stand-in reaches a plain value", () => {
        const files = renderFiles([{ type: "kubernetes:core/v1:ConfigMap", name: "cm", inputs: { metadata: { name: "cm", namespace: "x" }, data: { key: "offline-secret:random:pw" } } }], nodes);
        expect(leakedSecrets(files)).toEqual(["k8s/x/configmap-cm.yaml"]);
    });

    it("files a command under the node whose name it starts with, the longest match winning", () => {
        const cmd = (name: string, host = "10.0.0.99"): RegisteredResource => ({ type: "command:remote:Command", name, inputs: { connection: { host } } });
        expect(nodeOfCommand(cmd("pi-10-install"), nodes)).toBe("pi-10");
        expect(nodeOfCommand(cmd("pi-1-install"), nodes)).toBe("pi-1");
        expect(nodeOfCommand(cmd("cluster-kubeconfig", "10.0.0.21"), nodes)).toBe("pi-1");
        expect(nodeOfCommand(cmd("elsewhere"), nodes)).toBe("_local");
    });

    it("decodes a node-script command into parameters and script text, and leaves other commands as they are", () => {
        const text = describeCommand(`sudo -n env A=1 B='two words' bash -c 'echo '\\''hi'\\''
exit 0' x.sh`);
        expect(text).toBe("# runs x.sh as root (sudo -n)\n# parameters:\n#   A=1\n#   B=two words\n# script x.sh:\necho 'hi'\nexit 0\n");
        expect(describeCommand("sudo -n cat /etc/rancher/k3s/k3s.yaml")).toBe("sudo -n cat /etc/rancher/k3s/k3s.yaml\n");
    });
});

describe("offlineConfig", () => {
    it("replaces secure: values and the SSH key by secret stand-ins", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "offline-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.x.yaml"),
            [
                "config:",
                "  picluster:cluster:",
                "    k3sVersion: v1.33.5+k3s1",
                "    nodes: [{ name: a, host: 10.0.0.1, user: pi, role: server, arch: amd64, sshKey: aKey }]",
                "  picluster:sshPrivateKey:",
                "    secure: v1:cipher-one",
                "  picluster:grafana:",
                "    secure: v1:cipher-two",
                "  other:thing: 1",
                "",
            ].join("\n"),
        );
        const { config, secretKeys } = offlineConfig(dir, "x");
        expect(config["picluster:sshPrivateKey"]).toBe(OFFLINE_SSH_KEY);
        expect(config["picluster:aKey"]).toBe(OFFLINE_SSH_KEY);
        expect(config["picluster:grafana"]).toBe("offline-secret:grafana");
        expect(config["other:thing"]).toBeUndefined();
        expect(secretKeys.sort()).toEqual(["picluster:aKey", "picluster:grafana", "picluster:sshPrivateKey"]);
        expect(JSON.stringify(config)).not.toContain("cipher");
    });
});

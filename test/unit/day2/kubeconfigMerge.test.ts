import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { rewriteKubeconfig } from "../../../components/cluster/install/k3sConfig";
import { kubeconfigPath, mergeKubeconfig, writePrivate } from "../../../scripts/lib/kubeconfigMerge";
import { MOCK_K3S_KUBECONFIG } from "../../helpers/mocks";

type Doc = Record<string, any>;

/** The stack's `kubeconfig` output, as the program exports it (rewritten to the API endpoint, a token as the user). */
const stackOutput = (server = "https://192.168.1.5:6443", token = "new-token") => rewriteKubeconfig(MOCK_K3S_KUBECONFIG, server, "picluster-pi", token);

/** A user's kubeconfig with another cluster, and an older copy of the stack's own entries. */
const EXISTING = yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
        { name: "work", cluster: { server: "https://work.example:6443" } },
        { name: "picluster-pi", cluster: { server: "https://192.168.1.10:6443", "certificate-authority-data": "T0xE" } },
    ],
    users: [
        { name: "work", user: { token: "work-token" } },
        { name: "picluster-pi", user: { token: "old-token" } },
    ],
    contexts: [
        { name: "work", context: { cluster: "work", user: "work", namespace: "team" } },
        { name: "picluster-pi", context: { cluster: "picluster-pi", user: "picluster-pi" } },
    ],
    "current-context": "work",
});

describe("merging the stack's context into a kubeconfig (pure)", () => {
    it("keeps every other context, cluster and user exactly, and replaces only its own by name", () => {
        const r = mergeKubeconfig(EXISTING, stackOutput());
        const doc = yaml.load(r.text) as Doc;
        expect(doc.contexts.map((c: Doc) => c.name)).toEqual(["work", "picluster-pi"]);
        expect(doc.contexts[0]).toEqual({ name: "work", context: { cluster: "work", user: "work", namespace: "team" } });
        expect(doc.clusters[0]).toEqual({ name: "work", cluster: { server: "https://work.example:6443" } });
        expect(doc.users[0]).toEqual({ name: "work", user: { token: "work-token" } });
        expect(doc.clusters[1].cluster.server).toBe("https://192.168.1.5:6443");
        expect(doc.users[1].user).toEqual({ token: "new-token" });
        expect(r.changes).toEqual(["cluster picluster-pi replaced", "user picluster-pi replaced", "context picluster-pi replaced"]);
    });

    it("leaves current-context untouched unless --use", () => {
        expect((yaml.load(mergeKubeconfig(EXISTING, stackOutput()).text) as Doc)["current-context"]).toBe("work");
        const used = mergeKubeconfig(EXISTING, stackOutput(), { use: true });
        expect((yaml.load(used.text) as Doc)["current-context"]).toBe("picluster-pi");
        expect(used.currentContext).toBe("picluster-pi");
    });

    it("makes a new file from nothing: the stack's entries only, no current context without --use", () => {
        const r = mergeKubeconfig(undefined, stackOutput());
        const doc = yaml.load(r.text) as Doc;
        expect(doc).toMatchObject({ apiVersion: "v1", kind: "Config" });
        expect(doc.contexts.map((c: Doc) => c.name)).toEqual(["picluster-pi"]);
        expect(doc["current-context"]).toBeUndefined();
        expect(r.changes).toEqual(["cluster picluster-pi added", "user picluster-pi added", "context picluster-pi added"]);
    });

    it("is idempotent: merging the same output twice gives the same file", () => {
        const once = mergeKubeconfig(EXISTING, stackOutput()).text;
        expect(mergeKubeconfig(once, stackOutput()).text).toBe(once);
    });

    it("refuses output without a context, and a kubeconfig that is not a mapping", () => {
        expect(() => mergeKubeconfig(EXISTING, "apiVersion: v1\nkind: Config\n")).toThrow(/names no context/);
        expect(() => mergeKubeconfig("- a\n- b\n", stackOutput())).toThrow(/the existing kubeconfig is not a kubeconfig/);
    });
});

describe("writing the kubeconfig", () => {
    const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "picluster-kubeconfig-"));

    it("writes a new file 0600 in a 0700 directory", () => {
        const file = path.join(tmp(), ".kube", "config");
        writePrivate(file, "x: 1\n");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
        expect(fs.readFileSync(file, "utf8")).toBe("x: 1\n");
    });

    it("tightens an existing 0644 file to 0600 and leaves no temporary file behind", () => {
        const dir = tmp();
        const file = path.join(dir, "config");
        fs.writeFileSync(file, EXISTING, { mode: 0o644 });
        writePrivate(file, mergeKubeconfig(EXISTING, stackOutput()).text);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.readdirSync(dir)).toEqual(["config"]);
    });

    it("writes through a symlinked kubeconfig to its target", () => {
        const dir = tmp();
        const target = path.join(dir, "real-config");
        fs.writeFileSync(target, EXISTING);
        fs.symlinkSync(target, path.join(dir, "config"));
        writePrivate(path.join(dir, "config"), "y: 2\n");
        expect(fs.lstatSync(path.join(dir, "config")).isSymbolicLink()).toBe(true);
        expect(fs.readFileSync(target, "utf8")).toBe("y: 2\n");
    });

    it("picks $KUBECONFIG's first file, else ~/.kube/config", () => {
        expect(kubeconfigPath({ KUBECONFIG: `/a/one${path.delimiter}/b/two` }, "/home/u")).toBe("/a/one");
        expect(kubeconfigPath({}, "/home/u")).toBe("/home/u/.kube/config");
        expect(kubeconfigPath({ KUBECONFIG: "" }, "/home/u")).toBe("/home/u/.kube/config");
    });
});

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChartTree, ineffectiveKeys, readPackage } from "../../../scripts/charts/keys";

/** A small packaged chart written by the test: `app` with the subchart `db` under the alias `database`. */
let tree: ChartTree;
let dir: string;

function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
}

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-keys-"));
    write("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    alias: database\n    version: 2.x.x\n");
    write("app/values.yaml", "image:\n  tag: '1.0'\npodAnnotations: {}\nresources: {}\nservice:\n  port: 80\ndatabase:\n  parentSide: true\n");
    write("app/templates/deploy.yaml", "{{ .Values.extra.thing }}\naffinity: {{ toYaml .Values.affinity }}\n{{ .Values.service.port }}\n");
    write("app/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 2.1.0\n");
    write("app/charts/db/values.yaml", "auth:\n  password: ''\n");
    write("app/charts/db/templates/sts.yaml", "{{ .Values.global.imageRegistry }}{{ .Values.auth.password }}\n");
    execFileSync("tar", ["-czf", path.join(dir, "app-1.0.0.tgz"), "-C", dir, "app"]);
    tree = readPackage(path.join(dir, "app-1.0.0.tgz"));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("ineffective values keys", () => {
    it("accepts keys the chart declares, and any content of a declared empty map", () => {
        expect(ineffectiveKeys(tree, { image: { tag: "2.0" }, podAnnotations: { a: "b" }, resources: { limits: { cpu: "1" } } })).toEqual([]);
    });

    it("accepts keys a template reads, directly or as a whole map", () => {
        expect(ineffectiveKeys(tree, { extra: { thing: 1 }, affinity: { nodeAffinity: { x: 1 } } })).toEqual([]);
    });

    it("names a key neither declared nor read, at its full path", () => {
        expect(ineffectiveKeys(tree, { service: { port: 8080, nodePort: 30080 }, replicas: 2 })).toEqual(["service.nodePort", "replicas"]);
    });

    it("looks up a subchart's keys in the subchart under its alias, and the parent's own keys for it", () => {
        expect(ineffectiveKeys(tree, { database: { auth: { password: "x" }, parentSide: false } })).toEqual([]);
        expect(ineffectiveKeys(tree, { database: { auth: { user: "x" } } })).toEqual(["database.auth.user"]);
    });

    it("accepts a global some chart of the package reads, and names the first level none does", () => {
        expect(ineffectiveKeys(tree, { global: { imageRegistry: "r.example" } })).toEqual([]);
        expect(ineffectiveKeys(tree, { global: { security: { allowInsecureImages: true } } })).toEqual(["global.security"]);
    });
});

import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { Sandbox } from "./sandbox";

const server = () => {
    const node = new Sandbox();
    node.installK3s();
    return node;
};
const run = (node: Sandbox, mode: string, extra: Record<string, string> = {}) =>
    node.run("admin-credential.sh", { MODE: mode, READY_TIMEOUT: "1", POLL_INTERVAL: "0.1", ...extra });

describe("admin-credential.sh on the first server", () => {
    it("creates a cluster-admin ServiceAccount with a long-lived token Secret and prints its token", () => {
        const node = server();
        const r = run(node, "create");
        expect(r.status, r.stderr).toBe(0);
        const applied = fs.readFileSync(path.join(node.state, "applied"), "utf8");
        expect(applied).toContain("kind: ServiceAccount");
        expect(applied).toContain("roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }");
        expect(applied).toContain("type: kubernetes.io/service-account-token");
        expect(r.stdout.trim()).toBe(fs.readFileSync(path.join(node.state, "sa-token"), "utf8").trim());
    });

    it("is stable when run again, and rotates to a new token after delete", () => {
        const node = server();
        const first = run(node, "create").stdout;
        expect(run(node, "create").stdout).toBe(first);
        expect(run(node, "delete").stdout).toContain("admin credential deleted");
        expect(node.calls()).toEqual(expect.arrayContaining(["kubectl delete clusterrolebinding picluster-admin --ignore-not-found"]));
        const rotated = run(node, "create").stdout;
        expect(rotated.trim()).not.toBe("");
        expect(rotated).not.toBe(first);
    });

    it("gives up within the timeout when no token controller fills the Secret", () => {
        const r = run(server(), "create", { STUB_TOKEN_CONTROLLER: "off" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("got no token within 1s");
    });
});

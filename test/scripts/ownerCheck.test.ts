import { describe, expect, it } from "vitest";
import { Sandbox } from "./sandbox";

const me = { OWNER_ID: "1a2b3c4d5e6f7a8b", OWNER_NAME: "organization/picluster/dev", OWNER_BACKEND: "s3://lab-state" };
const other = { OWNER_ID: "ffffeeeeddddcccc", OWNER_NAME: "organization/picluster/dev", OWNER_BACKEND: "file:///home/ci/.picluster/state" };

describe("owner-check.sh: which state owns the cluster", () => {
    it("claims a cluster no state has claimed, recording the state's id and name", () => {
        const node = new Sandbox();
        const r = node.run("owner-check.sh", me);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("cluster claimed by this state (organization/picluster/dev, state id 1a2b3c4d5e6f7a8b)");
        expect(node.read("var/lib/picluster/owner")).toMatch(/^id=1a2b3c4d5e6f7a8b\nname=organization\/picluster\/dev\nclaimed=\d{4}-/);
    });

    it("lets the owner through, also after its stack moved to another backend", () => {
        const node = new Sandbox();
        node.run("owner-check.sh", me);
        const r = node.run("owner-check.sh", { ...me, OWNER_BACKEND: "https://api.pulumi.com" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("cluster owned by this state");
    });

    it("refuses a second state of the same stack name, naming both and how to move or release ownership, and keeps the record", () => {
        const node = new Sandbox();
        node.run("owner-check.sh", me);
        const before = node.read("var/lib/picluster/owner");
        const r = node.run("owner-check.sh", other);
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("this cluster is owned by another picluster state: organization/picluster/dev (state id 1a2b3c4d5e6f7a8b)");
        expect(r.stderr).toContain("This stack is organization/picluster/dev (state id ffffeeeeddddcccc, backend file:///home/ci/.picluster/state); nothing was changed.");
        expect(r.stderr).toContain("npm run state -- migrate");
        expect(r.stderr).toContain("sudo rm /var/lib/picluster/owner");
        expect(node.read("var/lib/picluster/owner")).toBe(before);
    });
});

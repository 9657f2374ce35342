import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { etcdS3Settings } from "../../components/cluster/etcdBackup";
import { renderK3sConfig } from "../../components/cluster/install/k3sConfig";
import type { BackupPlan } from "../../plan/backups";
import { clusterSchema } from "../../config/schema/cluster";
import { FIXTURES, Sandbox } from "./sandbox";

/*
 * A single server starts on SQLite. When backups.s3 is set, its config gains
 * cluster-init and the etcd-s3 settings; k3s converts the SQLite datastore to
 * embedded etcd in place on the next start. What the node script must do for
 * that: accept the change on an installed server, write the new config (0600,
 * it holds the S3 credentials), keep the data dir and the SQLite database
 * untouched, and restart k3s exactly once.
 */

const cluster = clusterSchema.parse({ k3sVersion: "v1.33.5+k3s1", nodes: [{ name: "cp-1", host: "10.0.0.10", user: "pi", role: "server", arch: "amd64" }] });
const node = cluster.nodes[0];
const tokens = { server: "server-token", agent: "agent-token" };
const plan: Omit<BackupPlan, "accessKeyId" | "secretAccessKey"> = {
    target: { endpoint: "https://nas.example.org:9000", bucket: "picluster-backups", region: "eu-west-1", folder: "picluster/pi", credentials: { accessKeyId: "a", secretAccessKey: "b" } },
    etcd: { cron: "0 */6 * * *", retention: 28 },
    postgres: { cron: "0 3 * * *", retentionDays: 30 },
    mongodb: { cron: "30 3 * * *", retentionDays: 14, dumpImage: "mongo:6.0.20", uploadImage: "amazon/aws-cli:2.27.50" },
    longhorn: { cron: "0 2 * * *", retain: 14 },
};
const sqliteConfig = renderK3sConfig({ cluster, node, role: "init", tokens, serverUrl: "" });
const etcdConfig = renderK3sConfig({ cluster, node, role: "init", tokens, serverUrl: "", etcdS3: etcdS3Settings(plan, "AKIA-node-test", "node-test-secret") });

const env = (mode: string) => ({
    MODE: mode,
    ROLE: "server",
    NODE_NAME: "cp-1",
    TARGET_VERSION: "v1.33.5+k3s1",
    INSTALL_URL: `file://${path.join(FIXTURES, "fake-installer.sh")}`,
    READY_TIMEOUT: "5",
    POLL_INTERVAL: "0.1",
});

describe("k3s-install.sh converts a single SQLite server to embedded etcd for backups", () => {
    it("renders no cluster-init and no etcd-s3 for a single server without backups", () => {
        const c = yaml.load(sqliteConfig) as Record<string, unknown>;
        expect(c["cluster-init"]).toBeUndefined();
        expect(Object.keys(c).filter((k) => k.startsWith("etcd-"))).toEqual([]);
    });

    it("renders cluster-init and every etcd-s3 setting when backups are on", () => {
        const c = yaml.load(etcdConfig) as Record<string, unknown>;
        expect(c).toMatchObject({
            "cluster-init": true,
            "etcd-s3": true,
            "etcd-s3-endpoint": "nas.example.org:9000",
            "etcd-s3-bucket": "picluster-backups",
            "etcd-s3-region": "eu-west-1",
            "etcd-s3-folder": "picluster/pi/etcd",
            "etcd-s3-access-key": "AKIA-node-test",
            "etcd-s3-secret-key": "node-test-secret",
            "etcd-snapshot-schedule-cron": "0 */6 * * *",
            "etcd-snapshot-retention": 28,
        });
        expect(c["etcd-s3-insecure"]).toBeUndefined();
    });

    it("accepts cluster-init on an installed SQLite server, keeps its database and restarts k3s once", () => {
        const sb = new Sandbox();
        const first = sb.run("k3s-install.sh", env("install"), sqliteConfig);
        expect(first.status, first.stderr).toBe(0);
        // What k3s leaves behind on SQLite; the conversion reads it on the next start.
        sb.write("var/lib/rancher/k3s/server/db/state.db", "sqlite-data");
        const restartsBefore = sb.calls().filter((c) => c.startsWith("systemctl restart")).length;

        const r = sb.run("k3s-install.sh", env("reconfigure"), etcdConfig);
        expect(r.status, r.stderr).toBe(0);
        expect(sb.read("etc/rancher/k3s/config.yaml")).toBe(etcdConfig);
        expect(fs.statSync(path.join(sb.root, "etc/rancher/k3s/config.yaml")).mode & 0o777).toBe(0o600);
        expect(sb.read("var/lib/rancher/k3s/server/db/state.db")).toBe("sqlite-data");
        expect(sb.calls().filter((c) => c.startsWith("systemctl restart")).length).toBe(restartsBefore + 1);
        // The credentials are never on a command line.
        expect(sb.calls().some((c) => c.includes("node-test-secret"))).toBe(false);
    });

    it("refuses turning backups off again, since the etcd datastore cannot go back to SQLite", () => {
        const sb = new Sandbox();
        expect(sb.run("k3s-install.sh", env("install"), sqliteConfig).status).toBe(0);
        expect(sb.run("k3s-install.sh", env("reconfigure"), etcdConfig).status).toBe(0);
        const back = sb.run("k3s-install.sh", env("reconfigure"), sqliteConfig);
        expect(back.status).toBe(1);
        expect(back.stderr).toContain("cluster-init removal refused");
        expect(sb.read("etc/rancher/k3s/config.yaml")).toBe(etcdConfig);
    });

    it("is a no-op on the next run with the same settings", () => {
        const sb = new Sandbox();
        expect(sb.run("k3s-install.sh", env("install"), etcdConfig).status).toBe(0);
        const restarts = sb.calls().filter((c) => c.startsWith("systemctl restart")).length;
        expect(sb.run("k3s-install.sh", env("reconfigure"), etcdConfig).status).toBe(0);
        expect(sb.calls().filter((c) => c.startsWith("systemctl restart")).length).toBe(restarts);
    });
});

import { describe, expect, it } from "vitest";
import { leakedSecrets } from "../../../scripts/lib/leaks";
import type { RegisteredResource } from "../../../scripts/lib/offlineEngine";
import { K3S_CONFIG_SECRETS, renderFiles } from "../../../scripts/lib/renderFiles";
import { REDACTED } from "../../../scripts/lib/secrets";

/** A server's install command as registered: its k3s config travels, secret, on stdin. */
function install(config: Record<string, unknown>): RegisteredResource {
    const stdin = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: Object.entries(config).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n") };
    return { type: "command:remote:Command", name: "cp-1-install", inputs: { connection: { host: "192.168.1.10", user: "picluster" }, create: "true", stdin } };
}

describe("the rendered k3s-config.yaml", () => {
    it("redacts the join tokens and a backup target's etcd-s3 credentials, and keeps the rest reviewable", () => {
        const files = renderFiles(
            [install({ token: "offline-secret:t", "agent-token": "offline-secret:a", "etcd-s3": true, "etcd-s3-bucket": "picluster-backups", "etcd-s3-access-key": "offline-secret:backupAccessKeyId", "etcd-s3-secret-key": "offline-secret:backupSecretAccessKey" })],
            [{ name: "cp-1", host: "192.168.1.10" }],
        );
        const text = files.get("nodes/cp-1/k3s-config.yaml") ?? "";
        for (const key of K3S_CONFIG_SECRETS) expect(text).toContain(`${key}: ${REDACTED}`);
        expect(text).toContain("etcd-s3-bucket: picluster-backups");
        expect(leakedSecrets(files)).toEqual([]);
    });
});

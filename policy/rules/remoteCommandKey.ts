import { obj, stringLeaves } from "../core/k8s";
import { isSecretAt, isUnknown, type ResourceRule } from "../core/types";

export const REMOTE_COMMAND = "command:remote:Command";

export const remoteCommandKey: ResourceRule = {
    scope: "resource",
    name: "remote-command-key",
    description:
        "Every remote.Command connects with a private key (no password), the key is a Pulumi secret (checked where the runtime can tell), and the key never appears in the command, stdin, environment or triggers.",
    reason: "The key opens every node as a sudo-capable user. A non-secret key is stored in plain state; a key pasted into a command line shows in process lists, logs and diffs.",
    anchor: "pulumi-command#111 (privateKey must be secret); Checkov CKV_SECRET_13 (private key)",
    enforcementLevel: "mandatory",
    appliesTo: (r) => r.type === REMOTE_COMMAND,
    validate(r) {
        if (r.type !== REMOTE_COMMAND) return [];
        const conn = obj(r.props.connection);
        if (isUnknown(r.props.connection)) return [];
        if (!conn) return ["has no connection"];
        const out: string[] = [];
        const key = conn.privateKey;
        if (!isUnknown(key) && (typeof key !== "string" || key.trim() === "")) out.push("connection has no privateKey; nodes are reached with a key, not a password or an agent");
        if (typeof conn.password === "string" && conn.password !== "") out.push("connection uses a password; use privateKey");
        if (typeof key === "string" && isSecretAt(r, "connection.privateKey") === false) {
            out.push("connection.privateKey is not a Pulumi secret; wrap it in pulumi.secret() (read it with config.requireSecret)");
        }
        if (typeof key === "string" && key.trim().length >= 16) {
            const needle = key.trim();
            const { connection: _connection, ...rest } = r.props;
            for (const leak of stringLeaves(rest).filter((l) => l.value.includes(needle))) out.push(`the private key appears in ${leak.path}`);
        }
        return out;
    },
};

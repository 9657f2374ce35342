import { utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverSsh } from "../../../components/cluster/drift/nodeObservation";
import { fakeSshNode, type FakeSshNode } from "../../helpers/sshNode";
import { keyPair } from "../../helpers/sshKeys";

const hostKeys = keyPair();
const otherHost = keyPair();
const client = keyPair();
const REPORT = { version: "v1.33.5+k3s1", service: "k3s", active: true, ready: "True", configSha256: "ab", registriesSha256: "", machineId: "m-1" };

describe("runOverSsh against a real SSH server on loopback", () => {
    let node: FakeSshNode;
    let port = 0;
    let sessions: string[][] = [];

    beforeAll(async () => {
        // Accepts only the client key for "pi"; `cat` echoes its stdin and fails (exit 3), anything else prints the report.
        node = await fakeSshNode({ hostPrivate: hostKeys.private, clientPublic: client.public, user: "pi" }, (command, stdin) =>
            command === "cat" ? { code: 3, stdout: stdin, stderr: "cat: done\n" } : { code: 0, stdout: `${JSON.stringify(REPORT)}\n` },
        );
        port = node.port;
        sessions = node.sessions;
    });
    afterAll(() => node.close());

    it("runs the one command in one session and hands back its output and exit status", async () => {
        const before = sessions.length;
        const r = await runOverSsh({ host: "127.0.0.1", port, user: "pi", privateKey: client.private, hostKey: hostKeys.public }, "sudo -n observe");
        expect(r).toEqual({ code: 0, stdout: `${JSON.stringify(REPORT)}\n`, stderr: "" });
        expect(sessions.slice(before)).toEqual([["sudo -n observe"]]);
    });

    it("writes stdin to the command and closes it, and reports a failing command's status and stderr", async () => {
        const r = await runOverSsh({ host: "127.0.0.1", port, user: "pi", privateKey: client.private }, "cat", "token: T1\n");
        expect(r).toEqual({ code: 3, stdout: "token: T1\n", stderr: "cat: done\n" });
    });

    it("refuses a node whose host key is not the pinned one, before running anything", async () => {
        const before = sessions.length;
        await expect(
            runOverSsh({ host: "127.0.0.1", port, user: "pi", privateKey: client.private, hostKey: otherHost.public }, "sudo -n observe"),
        ).rejects.toThrow(/^pi@127\.0\.0\.1:\d+: .*(host|verif)/i);
        expect(sessions.slice(before).flat()).toEqual([]);
    });

    it("names the node when it cannot log in", async () => {
        const stranger = utils.generateKeyPairSync("ed25519");
        await expect(runOverSsh({ host: "127.0.0.1", port, user: "pi", privateKey: stranger.private }, "x")).rejects.toThrow(/^pi@127\.0\.0\.1:\d+: All configured authentication methods failed/);
    });
});

import type { AddressInfo } from "net";
import { Server, utils, type ParsedKey } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverSsh } from "../../../components/cluster/nodeObservation";
import { keyPair } from "../../helpers/sshKeys";

const hostKeys = keyPair();
const otherHost = keyPair();
const client = keyPair();
const clientPublic = (utils.parseKey(client.public) as ParsedKey).getPublicSSH();
const REPORT = { version: "v1.33.5+k3s1", service: "k3s", active: true, ready: "True", configSha256: "ab", registriesSha256: "", machineId: "m-1" };

/** An SSH server on 127.0.0.1 that accepts only the client key and answers every command with the report. */
describe("runOverSsh against a real SSH server on loopback", () => {
    let server: Server;
    let port = 0;
    const sessions: string[][] = [];

    beforeAll(async () => {
        server = new Server({ hostKeys: [hostKeys.private] }, (conn) => {
            const commands: string[] = [];
            sessions.push(commands);
            conn.on("authentication", (ctx) => {
                const ok = ctx.method === "publickey" && ctx.username === "pi" && ctx.key.data.equals(clientPublic);
                return ok ? ctx.accept() : ctx.reject(["publickey"]);
            });
            conn.on("session", (accept) =>
                accept().on("exec", (acceptExec, _reject, info) => {
                    commands.push(info.command);
                    const stream = acceptExec();
                    if (info.command === "cat") {
                        // Echoes its stdin, and exits 3 once it ends: a command that reads stdin and fails.
                        stream.on("data", (d: Buffer) => stream.write(d));
                        stream.on("end", () => {
                            stream.stderr.write("cat: done\n");
                            stream.exit(3);
                            stream.end();
                        });
                        return;
                    }
                    stream.write(`${JSON.stringify(REPORT)}\n`);
                    stream.exit(0);
                    stream.end();
                }),
            );
            conn.on("error", () => undefined);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });
    afterAll(() => server.close());

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

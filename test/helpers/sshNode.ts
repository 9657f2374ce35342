import type { AddressInfo } from "net";
import { Server, utils, type ParsedKey } from "ssh2";

/** What a fake node answers to one command. */
export interface Answer {
    code: number;
    stdout?: string;
    stderr?: string;
}

export interface FakeSshNode {
    port: number;
    /** The commands each SSH connection ran, one list per connection. */
    sessions: string[][];
    close(): void;
}

/**
 * An SSH server on 127.0.0.1 standing in for a node: it accepts only the
 * client's public key (and, when given, only `user`), and answers each
 * command through `answer`, once the client has closed its stdin, with the
 * whole stdin it wrote.
 */
export async function fakeSshNode(
    keys: { hostPrivate: string; clientPublic: string; user?: string },
    answer: (command: string, stdin: string) => Answer,
): Promise<FakeSshNode> {
    const accepted = (utils.parseKey(keys.clientPublic) as ParsedKey).getPublicSSH();
    const sessions: string[][] = [];
    const server = new Server({ hostKeys: [keys.hostPrivate] }, (conn) => {
        const commands: string[] = [];
        sessions.push(commands);
        conn.on("authentication", (ctx) => {
            const ok = ctx.method === "publickey" && (keys.user === undefined || ctx.username === keys.user) && ctx.key.data.equals(accepted);
            return ok ? ctx.accept() : ctx.reject(["publickey"]);
        });
        conn.on("session", (accept) =>
            accept().on("exec", (acceptExec, _reject, info) => {
                commands.push(info.command);
                const stream = acceptExec();
                let stdin = "";
                stream.on("data", (d: Buffer) => (stdin += d.toString()));
                stream.on("end", () => {
                    const a = answer(info.command, stdin);
                    if (a.stdout) stream.write(a.stdout);
                    if (a.stderr) stream.stderr.write(a.stderr);
                    stream.exit(a.code);
                    stream.end();
                });
            }),
        );
        conn.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as AddressInfo).port, sessions, close: () => server.close() };
}

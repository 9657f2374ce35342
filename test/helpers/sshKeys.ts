import { utils } from "ssh2";

/**
 * An ed25519 key pair ssh2 can read back. About 1 in 400 of the pairs ssh2
 * 1.17.0 generates has a public key with its leading zero byte dropped
 * (31 bytes: "Malformed OpenSSH public key"), which made this file fail now
 * and then; such a pair is drawn again.
 */
export function keyPair(): { private: string; public: string } {
    for (;;) {
        const pair = utils.generateKeyPairSync("ed25519");
        if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error)) return pair;
    }
}

import { describe, expect, it } from "vitest";
import { closest, looksLikeCredential, shownSecretName, shownValue } from "../../../config/messages";

describe("what a refusal may echo", () => {
    it.each(["ghp_8fK2xQ9mZ7vL4tR6wY1pN3sB5dJ0hC", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----"])("takes %s for a credential", (s) => {
        expect(looksLikeCredential(s)).toBe(true);
        expect(shownValue(s)).toMatch(/^\(a value of \d+ characters, not shown\)$/);
    });

    it.each(["backupSecretAccessKey", "registry-cache.lan:5000", "chat.example.org", "v1.33.5+k3s1", "ghcr.io/example/app:1.2.3", "https://get.k3s.io", "Chat.Example.org", "short"])("shows %s as it is", (s) => {
        expect(looksLikeCredential(s)).toBe(false);
        expect(shownValue(s)).toBe(JSON.stringify(s));
    });

    it("shows a secret's name, and only the length of anything pasted in its place", () => {
        expect(shownSecretName("apiKey")).toBe('"apiKey"');
        expect(shownSecretName("hunter2 is my password")).toMatch(/^\(a value of 22 characters, not shown: this field takes the name of a secret config key/);
        expect(shownSecretName("ghp_8fK2xQ9mZ7vL4tR6wY1pN3sB5dJ0hC")).not.toContain("ghp_");
    });

    it("redacts a credential inside an object it shows", () => {
        expect(shownValue({ token: "ghp_8fK2xQ9mZ7vL4tR6wY1pN3sB5dJ0hC" })).toBe('{"token":"(34 characters, not shown)"}');
    });

    it("finds the nearest names for a did-you-mean, nearest first", () => {
        expect(closest("agentConcurency", ["agentConcurrency", "readySeconds"])).toEqual(["agentConcurrency"]);
        expect(closest("apiKee", ["apiKey", "apiKeys", "sshPrivateKey"])).toEqual(["apiKey", "apiKeys"]);
        expect(closest("zzz", ["apiKey"])).toEqual([]);
    });
});

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { inlineIncludes, NodeScript, scriptCommand, scriptText } from "../../components/cluster/nodeScripts";
import { stripCommentLines } from "../../components/cluster/shellComments";
import { Sandbox, SCRIPTS } from "./sandbox";

const SHIPPED = fs.readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh")) as NodeScript[];

/** A script as written (includes inlined, comments kept). */
const written = (name: NodeScript) => {
    const read = (rel: string) => fs.readFileSync(path.join(SCRIPTS, rel), "utf8");
    return inlineIncludes(read(name), read);
};

/**
 * What bash makes of a script: its text as the body of a function, printed
 * back by `declare -f`, which bash regenerates from the parse (comments gone,
 * here-document bodies and strings as read). Defines, runs nothing.
 */
function parsed(text: string): string {
    const r = spawnSync("bash", ["-s"], { input: `f() {\n${text}\n}\ndeclare -f f\n`, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bash could not parse the script: ${r.stderr}`);
    return r.stdout;
}

describe("comment lines left out of the scripts sent to nodes", () => {
    it("drops full-line comments, the #! line and blank lines, and keeps code lines byte for byte", () => {
        const text = "#!/usr/bin/env bash\n# what it does\nset -eu\n\n    # indented note\n    echo \"a # b\"  # trailing note stays\n\t\nx=${#y} # kept\n";
        expect(stripCommentLines(text)).toBe('set -eu\n    echo "a # b"  # trailing note stays\nx=${#y} # kept\n');
    });

    it.each([
        ["<<EOF", "EOF"],
        ["<<'EOF'", "EOF"],
        ['<< "EOF"', "EOF"],
        ["<<E\\OF", "EOF"],
    ])("keeps a here-document opened with %s byte for byte, # lines and blank lines included", (opener, end) => {
        const body = "# not a comment: data\n\n  indented # data\n";
        const text = `# note\ncat >/tmp/x ${opener}\n${body}${end}\n# after\necho done\n`;
        expect(stripCommentLines(text)).toBe(`cat >/tmp/x ${opener}\n${body}${end}\necho done\n`);
    });

    it("ends a <<- here-document at its tab-indented delimiter, and only there", () => {
        const text = "if true; then\n\tcat <<-END\n\t# data\n\n\t  END not yet\n\tEND\n\t# a comment again\nfi\n";
        expect(stripCommentLines(text)).toBe("if true; then\n\tcat <<-END\n\t# data\n\n\t  END not yet\n\tEND\nfi\n");
    });

    it("follows two here-documents started on one line, and is not fooled by a here-string", () => {
        const text = "paste <<A <<B\n# a\nA\n# b\nB\n# gone\ngrep -q x <<<\"$y\"\n# gone too\n";
        expect(stripCommentLines(text)).toBe("paste <<A <<B\n# a\nA\n# b\nB\ngrep -q x <<<\"$y\"\n");
    });

    it("keeps lines inside a multi-line quoted string", () => {
        const text = "msg='first\n# still the string\n\nlast'\n# comment\necho \"two\n  # lines\" $'x\\'\n# y'\n";
        expect(stripCommentLines(text)).toBe("msg='first\n# still the string\n\nlast'\necho \"two\n  # lines\" $'x\\'\n# y'\n");
    });

    it("keeps the line after a backslash continuation, which bash joins to it", () => {
        const text = "echo a \\\n\n# c\necho b \\\n  # ends the command\necho c # not continued \\\n# gone\n";
        expect(stripCommentLines(text)).toBe("echo a \\\n\necho b \\\n  # ends the command\necho c # not continued \\\n");
    });

    it("ignores quotes and here-document markers inside a trailing comment", () => {
        const text = "echo a # don't <<EOF\n# gone\necho b\n";
        expect(stripCommentLines(text)).toBe("echo a # don't <<EOF\necho b\n");
    });

    it("tells a changed here-document body from an unchanged one when comparing parses", () => {
        const text = "cat <<EOF\n# data\nEOF\n";
        expect(parsed(text.replace("# data\n", ""))).not.toBe(parsed(text));
    });

    it.each(SHIPPED)("sends %s as a script bash parses exactly as the file it was written as", (name) => {
        const sent = scriptText(name);
        expect(spawnSync("bash", ["-n"], { input: sent }).status).toBe(0);
        expect(parsed(sent)).toBe(parsed(written(name)));
    });

    it.each(SHIPPED)("sends %s with no comment line outside a here-document and no blank line", (name) => {
        const sent = scriptText(name);
        const heredoc = /<<-?\s*['"]?(\w+)['"]?\n[\s\S]*?\n\t*\1\n/g;
        expect(sent.replace(heredoc, "")).not.toMatch(/^[ \t]*(#.*)?$\n/m);
        expect(sent.length).toBeLessThan(written(name).length);
    });

    it("applies the admin credential's manifest byte for byte when the sent text runs", () => {
        const fromFile = new Sandbox();
        fromFile.installK3s();
        expect(fromFile.run("admin-credential.sh", { MODE: "create", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" }).status).toBe(0);
        const sent = new Sandbox();
        sent.installK3s();
        const line = scriptCommand("admin-credential.sh", { sudo: false, env: { MODE: "create", READY_TIMEOUT: "1", POLL_INTERVAL: "0.1" } });
        const r = spawnSync("sh", ["-c", line], {
            encoding: "utf8",
            env: { PATH: `${path.join(__dirname, "fixtures", "bin")}:/usr/bin:/bin`, PICLUSTER_ROOT: sent.root, STUB_LOG: sent.log, STUB_STATE: sent.state },
        });
        expect(r.status, r.stderr).toBe(0);
        const applied = fs.readFileSync(path.join(sent.state, "applied"), "utf8");
        expect(applied).toBe(fs.readFileSync(path.join(fromFile.state, "applied"), "utf8"));
        expect(applied).toContain("kind: ServiceAccount");
    });
});

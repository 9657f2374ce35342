/** A here-document whose body starts on the next line. */
interface Heredoc {
    /** The delimiter, quotes removed. */
    word: string;
    /** `<<-`: the delimiter line may start with tabs. */
    tabs: boolean;
}

/** What a line leaves open for the lines after it, as bash reads them. */
interface LineEnd {
    /** A quote still open at the end of the line: the next lines are inside a string. */
    quote: "'" | '"' | "$'" | undefined;
    /** Here-documents started on the line, in order. */
    heredocs: Heredoc[];
    /** The line ends in an unquoted backslash: the next line continues it. */
    continued: boolean;
}

const WORD_END = /[\s;&|()<>]/;

/** Reads the delimiter after `<<` / `<<-` at `from`; returns it and where it ends. */
function heredocWord(line: string, from: number): { word: string; end: number } {
    let i = from;
    while (line[i] === " " || line[i] === "\t") i++;
    let word = "";
    while (i < line.length && !WORD_END.test(line[i])) {
        const c = line[i];
        if (c === "'" || c === '"') {
            const close = line.indexOf(c, i + 1);
            const stop = close === -1 ? line.length : close;
            word += line.slice(i + 1, stop);
            i = stop + 1;
        } else if (c === "\\") {
            word += line[i + 1] ?? "";
            i += 2;
        } else {
            word += c;
            i++;
        }
    }
    return { word, end: i };
}

/** Follows quotes, comments, here-document starts and continuations through one line. */
function scanLine(line: string, open: LineEnd["quote"]): LineEnd {
    let quote = open;
    const heredocs: Heredoc[] = [];
    let i = 0;
    while (i < line.length) {
        const c = line[i];
        if (quote === "'") {
            if (c === "'") quote = undefined;
            i++;
        } else if (quote !== undefined) {
            // Inside "…" and $'…' a backslash escapes the next character.
            if (c === "\\") {
                if (i === line.length - 1 && quote === '"') return { quote, heredocs, continued: true };
                i += 2;
                continue;
            }
            if (c === (quote === '"' ? '"' : "'")) quote = undefined;
            i++;
        } else if (c === "\\") {
            if (i === line.length - 1) return { quote, heredocs, continued: true };
            i += 2;
        } else if (c === "'" || c === '"') {
            quote = c;
            i++;
        } else if (c === "$" && line[i + 1] === "'") {
            quote = "$'";
            i += 2;
        } else if (c === "#" && (i === 0 || WORD_END.test(line[i - 1]))) {
            // A comment: nothing after it opens or closes anything.
            return { quote, heredocs, continued: false };
        } else if (line.startsWith("<<<", i)) {
            i += 3; // a here-string, on this line only
        } else if (line.startsWith("<<", i)) {
            const tabs = line[i + 2] === "-";
            const { word, end } = heredocWord(line, i + (tabs ? 3 : 2));
            if (word !== "") heredocs.push({ word, tabs });
            i = end;
        } else {
            i++;
        }
    }
    return { quote, heredocs, continued: false };
}

/**
 * A bash script without its full-line comments (the `#!` line included) and
 * blank lines; every other line is kept byte for byte, indentation and
 * trailing `# …` parts included (telling a trailing comment from a quoted
 * `#` needs the whole parse, so they stay). Lines bash reads as data are never
 * touched: here-document bodies (`<<WORD`, `<<'WORD'`, `<<"WORD"`, `<<-WORD`),
 * lines inside a multi-line quoted string, and the line after a backslash
 * continuation.
 */
export function stripCommentLines(text: string): string {
    const final = text.endsWith("\n") ? "\n" : "";
    const kept: string[] = [];
    let pending: Heredoc[] = [];
    let quote: LineEnd["quote"];
    let continued = false;
    for (const line of (final ? text.slice(0, -1) : text).split("\n")) {
        if (pending.length > 0) {
            kept.push(line);
            if ((pending[0].tabs ? line.replace(/^\t+/, "") : line) === pending[0].word) pending.shift();
            continue;
        }
        if (quote === undefined && !continued && /^\s*(#.*)?$/.test(line)) continue;
        kept.push(line);
        const end = scanLine(line, quote);
        ({ quote, continued } = end);
        pending = end.heredocs;
    }
    return kept.join("\n") + final;
}

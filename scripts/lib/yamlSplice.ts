import * as YAML from "yaml";

/*
 * Edits of a YAML file's text that keep every other byte: a scalar replaced
 * at its source range in the style it was written, or a new `key: value`
 * added to a block or flow map at the map's indentation. Comments, layout
 * and `secure:` ciphertexts around it stay exactly as they were.
 */

type Node = YAML.Node | null | undefined;

/** A replacement of `source[start, end)` by `text`. */
export interface TextEdit {
    start: number;
    end: number;
    text: string;
}

/** The text of a scalar in the style the original used (plain, single or double quoted). */
function scalarText(value: string, like?: YAML.Scalar): string {
    const type = like?.type;
    if (type === "QUOTE_SINGLE") return `'${value.replace(/'/g, "''")}'`;
    if (type === "QUOTE_DOUBLE") return JSON.stringify(value);
    // YAML.stringify quotes anything that would read back as another type (1.2, true, null).
    return YAML.stringify(value).trimEnd();
}

function lineStart(text: string, offset: number): number {
    return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The edit that sets `key: value` inside the map at `mapPath`, keeping the original text around it. */
export function editFor(doc: YAML.Document, source: string, mapPath: (string | number)[], key: string, value: string): TextEdit {
    const map = doc.getIn(mapPath, true) as YAML.YAMLMap;
    const existing = map.get(key, true) as Node;
    if (YAML.isScalar(existing) && existing.range) {
        return { start: existing.range[0], end: existing.range[1], text: scalarText(value, existing) };
    }
    const pairText = `${key}: ${scalarText(value)}`;
    if (!map.range) throw new Error(`cannot locate ${mapPath.join(".")} in the target file`);
    if (map.flow) {
        const close = source.lastIndexOf("}", map.range[1]);
        let at = close;
        while (at > 0 && /\s/.test(source[at - 1])) at--;
        const empty = source[at - 1] === "{";
        return { start: at, end: at, text: empty ? ` ${pairText}` : `, ${pairText}` };
    }
    const firstKey = map.items[0]?.key as Node;
    if (!firstKey || !firstKey.range) throw new Error(`cannot add ${key} to the empty map ${mapPath.join(".")}`);
    const indent = firstKey.range[0] - lineStart(source, firstKey.range[0]);
    // Insert after the map's last value, on a line of its own.
    const lastValue = map.items[map.items.length - 1].value as Node;
    const endOfContent = lastValue?.range ? lastValue.range[1] : map.range[1];
    const eol = source.indexOf("\n", endOfContent);
    const at = eol < 0 ? source.length : eol;
    return { start: at, end: at, text: `\n${" ".repeat(indent)}${pairText}` };
}

/** Applies non-overlapping edits to `source`. */
export function applyEdits(source: string, edits: TextEdit[]): string {
    let text = source;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    return text;
}

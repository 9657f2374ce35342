/*
 * A line diff of two texts (longest common subsequence), for reports that
 * show what a command changed in a file.
 */

/** A line diff of two texts with `context` unchanged lines around each change. */
export function lineDiff(before: string, after: string, labels: [string, string] = ["before", "after"], context = 2): string {
    const a = before.split("\n");
    const b = after.split("\n");
    // Longest common subsequence table; stack files are small.
    const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    const ops: { op: " " | "-" | "+"; line: string; ai: number; bi: number }[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ op: " ", line: a[i], ai: i++, bi: j++ });
        else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: "-", line: a[i], ai: i++, bi: j });
        else ops.push({ op: "+", line: b[j], ai: i, bi: j++ });
    }
    const changed = ops.map((o, k) => (o.op !== " " ? k : -1)).filter((k) => k >= 0);
    if (changed.length === 0) return "";
    const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
    let k = 0;
    while (k < changed.length) {
        const lo = Math.max(0, changed[k] - context);
        let hi = Math.min(ops.length - 1, changed[k] + context);
        while (k + 1 < changed.length && changed[k + 1] - context <= hi + 1) hi = Math.min(ops.length - 1, changed[++k] + context);
        k++;
        out.push(`@@ line ${ops[lo].bi + 1} @@`);
        for (let x = lo; x <= hi; x++) out.push(`${ops[x].op}${ops[x].line}`);
    }
    return out.join("\n");
}

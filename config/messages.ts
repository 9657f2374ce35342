/*
 * How a refusal talks back: values shown without leaking a credential,
 * secret names checked before they are echoed, and "did you mean" hints.
 * Every message of the loader and the plan goes through these.
 */

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

/** The candidates nearest to `name` (same letters ignoring case, or a few edits away), nearest first. */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
    const lower = name.toLowerCase();
    const limit = Math.max(2, Math.floor(name.length / 3));
    return [...new Set(candidates)]
        .map((c) => ({ c, d: c.toLowerCase() === lower ? 0 : distance(c.toLowerCase(), lower) }))
        .filter(({ c, d }) => c !== name && d <= limit)
        .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
        .slice(0, max)
        .map(({ c }) => c);
}

/** ` did you mean x?` (or nothing), for the end of a message. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
    const near = closest(name, candidates, 1);
    return near.length > 0 ? ` did you mean ${near[0]}?` : "";
}

/** Shannon entropy of a string, in bits per character. */
function entropy(s: string): number {
    const counts = new Map<string, number>();
    for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    return [...counts.values()].reduce((h, n) => h - (n / s.length) * Math.log2(n / s.length), 0);
}

/**
 * True for a string that may be a credential: a PEM block, a long token
 * with high entropy, or one mixing letters and digits with no separator a
 * human name or a version would have. Such a value is never echoed.
 */
export function looksLikeCredential(s: string): boolean {
    if (/-----BEGIN [A-Z ]+-----/.test(s)) return true;
    if (s.length < 16 || /\s/.test(s)) return false;
    // Versions, image references, URLs and quantities read as such, not as secrets.
    // Host names (with a port or path), and identifiers: letters with a few digits at most.
    if (/^([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(:\d+)?(\/\S*)?$/.test(s) || (/^[A-Za-z][A-Za-z_.-]*\d{0,3}$/.test(s) && s.length <= 40)) return false;
    if ( /^v?\d+(\.\d+)+([-+][\w.]+)?$/.test(s) || /^[a-z0-9.-]+(:\d+)?\/[\w./-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(s) || /^https?:\/\//.test(s)) return false;
    const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(s)).length;
    return entropy(s) >= 3.5 && classes >= 2;
}

/** A value as a refusal shows it: JSON, cut at 60 characters; a credential-looking string by its length only. */
export function shownValue(v: unknown): string {
    if (v === undefined) return "(unset)";
    if (typeof v === "string" && looksLikeCredential(v)) return `(a value of ${v.length} characters, not shown)`;
    const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === "string" && looksLikeCredential(x) ? `(${x.length} characters, not shown)` : x)) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Names a secret config key can have: `pulumi config set --secret picluster:<name>`. */
export function isSecretKeyName(name: string): boolean {
    return /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name) && !looksLikeCredential(name);
}

/**
 * A field that takes the NAME of a secret config key, as a refusal shows it:
 * the name when it is one, else only its length, since a value that is not
 * a key name is most likely the secret itself pasted in the wrong place.
 */
export function shownSecretName(name: unknown): string {
    if (typeof name === "string" && isSecretKeyName(name)) return JSON.stringify(name);
    const length = typeof name === "string" ? name.length : JSON.stringify(name ?? null).length;
    return `(a value of ${length} characters, not shown: this field takes the name of a secret config key, not the secret)`;
}

import * as YAML from "yaml";
import { CapacityError } from "../../plan/capacityText";
import { ConfigError, loadConfig, NAMESPACE, secretsOf } from "../../config/load";
import { objectSource } from "../../config/source";
import { buildPlan } from "../../plan/plan";
import { lineDiff } from "./lineDiff";
import { fillSshKeys, offlineSecret, stackConfigValues } from "./stackFile";
import { applyEdits, editFor } from "./yamlSplice";

/*
 * Promotion: carry the pinned versions (k3s, charts, images) that the source
 * stack runs over to the target stack's file. Only version leaves are
 * touched, by splicing the new text into the original at the node's source
 * range (yamlSplice.ts), so every other byte of the target file — comments,
 * layout, `secure:` ciphertexts — stays exactly as it was.
 */

/** Keys that hold a pinned version: `version`, `k3sVersion`, `operatorVersion`, …, and `image`. */
export function isVersionKey(key: string): boolean {
    return key === "version" || key === "image" || /^[a-z][A-Za-z0-9]*Version$/.test(key);
}

/** One pinned version found in a stack file. */
export interface VersionEntry {
    /** Stable identity across stacks: array items by their `name`, e.g. `services.catalog[jupyterhub].version`. */
    id: string;
    value: string;
    /** The YAML path in the document (`config` → `picluster:services` → `catalog` → 0 → `version`). */
    path: (string | number)[];
}

type Node = YAML.Node | null | undefined;

function itemName(node: Node): string | undefined {
    if (!YAML.isMap(node)) return undefined;
    const name = node.get("name");
    return typeof name === "string" ? name : undefined;
}

/** Every pinned version of a `Pulumi.<stack>.yaml` document under the `picluster:` namespace, by id. */
export function findVersions(doc: YAML.Document): Map<string, VersionEntry> {
    const found = new Map<string, VersionEntry>();
    const config = doc.get("config", true);
    if (!YAML.isMap(config)) return found;
    const walk = (node: Node, id: string, path: (string | number)[]): void => {
        if (YAML.isMap(node)) {
            // A `secure:` envelope is opaque: nothing inside it is a version.
            if (node.items.length === 1 && YAML.isScalar(node.items[0].key) && node.items[0].key.value === "secure") return;
            for (const pair of node.items) {
                if (!YAML.isScalar(pair.key)) continue;
                const key = String(pair.key.value);
                const value = pair.value as Node;
                if (isVersionKey(key) && YAML.isScalar(value) && (typeof value.value === "string" || typeof value.value === "number")) {
                    const entryId = `${id}.${key}`;
                    found.set(entryId, { id: entryId, value: String(value.value), path: [...path, key] });
                } else {
                    walk(value, `${id}.${key}`, [...path, key]);
                }
            }
        } else if (YAML.isSeq(node)) {
            node.items.forEach((item, i) => {
                const name = itemName(item as Node);
                walk(item as Node, `${id}[${name ?? i}]`, [...path, i]);
            });
        }
    };
    for (const pair of config.items) {
        if (!YAML.isScalar(pair.key)) continue;
        const fullKey = String(pair.key.value);
        const [ns, key] = fullKey.split(":");
        if (ns !== NAMESPACE || key === undefined) continue;
        walk(pair.value as Node, key, ["config", fullKey]);
    }
    return found;
}

/** One version copied from the source stack. */
export interface VersionChange {
    id: string;
    /** Undefined when the target item pinned no version (it used the default). */
    from?: string;
    to: string;
}

/** A version that was not promoted, and why. */
export interface Refusal {
    id: string;
    reason: string;
    /** Nothing to do rather than refused: the target pins what the source does not, and keeps it. */
    kept?: boolean;
}

/** The refusals that need a person: a dry run with only kept pins has nothing to do and exits 0. */
export function blockingRefusals(refusals: Refusal[]): Refusal[] {
    return refusals.filter((r) => !r.kept);
}

export interface PromoteResult {
    /** The target file's text after promotion (equal to the input when nothing changes). */
    text: string;
    changes: VersionChange[];
    refusals: Refusal[];
    /** Validation problems of the target file that no refusal could resolve. */
    problems: string[];
    /** A readable report: each change, each refusal, and a line diff of the file. */
    report: string;
}

/** Checks a whole stack file; returns one line per problem (empty when valid). */
export type StackValidator = (doc: YAML.Document, stack: string) => string[];

export interface PromoteOptions {
    fromStack: string;
    toStack: string;
    /** Defaults to `validateStackDocument` (the program's own config validation). */
    validate?: StackValidator;
}

/** Validates a stack document with the program's own plan (every check, capacity included); secrets become placeholders. */
export function validateStackDocument(doc: YAML.Document, stack: string): string[] {
    if (doc.errors.length > 0) return doc.errors.map((e) => `YAML: ${e.message}`);
    const { values, secretKeys } = stackConfigValues(doc.toJS());
    // SSH keys are often set per machine and never committed; promotion does not check them.
    fillSshKeys(values, secretKeys, offlineSecret);
    try {
        const source = objectSource(stack, values, secretKeys);
        buildPlan(loadConfig(source), secretsOf(source));
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        if (e instanceof CapacityError) return [e.message];
        throw e;
    }
}

/** `services.catalog[jupyterhub].version` → its parent item id, `services.catalog[jupyterhub]`. */
function parentId(id: string): string {
    return id.replace(/\.[^.[\]]+$/, "");
}

/** The YAML path of the item a version id belongs to, resolved in `doc` by item names. */
function resolveItemPath(doc: YAML.Document, id: string): (string | number)[] | undefined {
    const tokens = id.match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
    const [first, ...rest] = tokens;
    const path: (string | number)[] = ["config", `${NAMESPACE}:${first}`];
    let node = doc.getIn(path, true) as Node;
    for (const t of rest) {
        if (t.startsWith("[")) {
            const want = t.slice(1, -1);
            if (!YAML.isSeq(node)) return undefined;
            const items = node.items as Node[];
            let index = items.findIndex((it) => itemName(it) === want);
            if (index < 0 && /^\d+$/.test(want) && items.every((it) => itemName(it) === undefined)) index = Number(want);
            if (index < 0 || index >= items.length) return undefined;
            path.push(index);
            node = items[index];
        } else {
            if (!YAML.isMap(node)) return undefined;
            path.push(t);
            node = node.get(t, true) as Node;
        }
    }
    return node === undefined || node === null ? undefined : path;
}

/**
 * Copies every pinned version of `fromText` (the source stack file) into
 * `toText` (the target stack file) and returns the new target text with a
 * report. Nothing is written here.
 *
 * - A version is copied only into an item the target already has (matched
 *   by key path, array items by `name`); a version for something the target
 *   lacks is reported, not added.
 * - A target version the source file does not know is left alone and
 *   reported: the source stack has not run it.
 * - The result is validated as a whole; changes named by a validation
 *   problem are refused and the rest validated again.
 */
export function promote(fromText: string, toText: string, opts: PromoteOptions): PromoteResult {
    const validate = opts.validate ?? validateStackDocument;
    const fromDoc = YAML.parseDocument(fromText);
    const toDoc = YAML.parseDocument(toText);
    for (const [doc, label] of [[fromDoc, opts.fromStack], [toDoc, opts.toStack]] as const) {
        if (doc.errors.length > 0) throw new Error(`Pulumi.${label}.yaml does not parse: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    const fromVersions = findVersions(fromDoc);
    const toVersions = findVersions(toDoc);
    const refusals: Refusal[] = [];
    const candidates: { change: VersionChange; mapPath: (string | number)[]; key: string }[] = [];

    for (const [id, src] of [...fromVersions].sort(([x], [y]) => x.localeCompare(y))) {
        const dst = toVersions.get(id);
        if (dst && dst.value === src.value) continue;
        const key = String(src.path[src.path.length - 1]);
        const mapPath = dst ? dst.path.slice(0, -1) : resolveItemPath(toDoc, parentId(id));
        if (!mapPath || !YAML.isMap(toDoc.getIn(mapPath, true))) {
            refusals.push({ id, reason: `${opts.toStack} has no ${parentId(id)}; not added (declare it in Pulumi.${opts.toStack}.yaml first)` });
            continue;
        }
        candidates.push({ change: { id, from: dst?.value, to: src.value }, mapPath, key });
    }
    for (const [id, dst] of [...toVersions].sort(([x], [y]) => x.localeCompare(y))) {
        if (!fromVersions.has(id)) {
            refusals.push({ id, reason: `${opts.fromStack} does not pin ${id}; kept ${dst.value} (${opts.fromStack} has not run a version of it)`, kept: true });
        }
    }

    const baseline = validate(toDoc, opts.toStack);
    if (baseline.length > 0) {
        for (const c of candidates) refusals.push({ id: c.change.id, reason: `Pulumi.${opts.toStack}.yaml is invalid before promotion; fix it first` });
        return finish(toText, toText, [], refusals, baseline, opts);
    }

    let accepted = [...candidates];
    let text = toText;
    let problems: string[] = [];
    for (;;) {
        text = applyEdits(toText, accepted.map((c) => editFor(toDoc, toText, c.mapPath, c.key, c.change.to)));
        problems = validate(YAML.parseDocument(text), opts.toStack);
        if (problems.length === 0) break;
        const blamed = accepted.filter((c) => problems.some((p) => p.startsWith(`${NAMESPACE}:${yamlPathToKey(c.mapPath, c.key)}`) || p.includes(`${NAMESPACE}:${c.change.id}`)));
        // Problems that name no single change: refuse them all rather than write an invalid file.
        const refused = blamed.length > 0 ? blamed : accepted;
        for (const c of refused) {
            const mine = problems.filter((p) => p.startsWith(`${NAMESPACE}:${yamlPathToKey(c.mapPath, c.key)}`));
            refusals.push({ id: c.change.id, reason: `${c.change.to} fails validation: ${(mine.length > 0 ? mine : problems).join("; ")}` });
        }
        accepted = accepted.filter((c) => !refused.includes(c));
        if (accepted.length === 0) {
            text = toText;
            problems = [];
            break;
        }
    }
    return finish(toText, text, accepted.map((c) => c.change), refusals, problems, opts);
}

/** `["config", "picluster:services", "catalog", 0]` + `version` → `services.catalog[0].version`, as config errors name it. */
function yamlPathToKey(mapPath: (string | number)[], key: string): string {
    const [, first, ...rest] = mapPath;
    const head = String(first).slice(NAMESPACE.length + 1);
    return [...rest, key].reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${p}`), head);
}

function finish(before: string, after: string, changes: VersionChange[], refusals: Refusal[], problems: string[], opts: PromoteOptions): PromoteResult {
    const lines: string[] = [];
    const target = `Pulumi.${opts.toStack}.yaml`;
    if (changes.length === 0) lines.push(`${target}: no version to promote from ${opts.fromStack}.`);
    else {
        lines.push(`${target}: ${changes.length} version${changes.length === 1 ? "" : "s"} from ${opts.fromStack}:`);
        for (const c of changes) lines.push(`  ${c.id}: ${c.from ?? "(not pinned in the file)"} -> ${c.to}`);
    }
    for (const [title, list] of [["Not promoted", blockingRefusals(refusals)], ["Kept as they are", refusals.filter((r) => r.kept)]] as const) {
        if (list.length === 0) continue;
        lines.push(`${title} (${list.length}):`);
        for (const r of list) lines.push(`  ${r.id}: ${r.reason}`);
    }
    if (problems.length > 0) {
        lines.push(`${target} problems:`);
        for (const p of problems) lines.push(`  ${p}`);
    }
    const diff = lineDiff(before, after, [`Pulumi.${opts.toStack}.yaml`, `Pulumi.${opts.toStack}.yaml (promoted from ${opts.fromStack})`]);
    if (diff) lines.push("", diff);
    return { text: after, changes, refusals, problems, report: lines.join("\n") + "\n" };
}

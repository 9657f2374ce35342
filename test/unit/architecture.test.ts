import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/*
 * The one-way house: config/ → plan/ → components/ → index.ts and scripts/.
 * Read from the TypeScript imports themselves, so a new file is checked the
 * day it is added.
 */

const ROOT = path.join(__dirname, "..", "..");
const SOURCE_DIRS = ["config", "plan", "components", "policy", "scripts"];

/** Each top folder's floor: a file may import only from its own floor or below. */
const FLOOR: Record<string, number> = { config: 0, plan: 1, components: 2, policy: 2, scripts: 3, "index.ts": 3 };

/**
 * What components may take as values from config/ and plan/: the shared
 * vocabulary (arch, quantities, Pod Security levels, the cron grammar, the
 * schema's own helpers, the cluster's topology, tolerations, Helm values,
 * backup target paths, catalog presets) and SCREAMING_CASE constants from
 * anywhere. Anything else (the loader, the checks, the planners) is the
 * plan's business: components receive its result.
 */
const VOCABULARY = [/^config\/(arch|quantity|podSecurity|cron)\.ts$/, /^config\/schema\/[^/]+\.ts$/, /^plan\/(topology|capacity|values|backups)\.ts$/, /^plan\/catalog\/presets\.ts$/];

interface Import {
    from: string;
    to: string;
    /** Names imported as values (not `import type`, not `type X`). */
    values: string[];
}

function sourceFiles(): string[] {
    const out = ["index.ts"];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) walk(rel);
            else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(rel);
        }
    };
    SOURCE_DIRS.forEach(walk);
    return out;
}

function resolve(from: string, spec: string): string | undefined {
    const base = path.normalize(path.join(path.dirname(from), spec));
    return [`${base}.ts`, path.join(base, "index.ts")].find((c) => fs.existsSync(path.join(ROOT, c)));
}

function importsOf(file: string): Import[] {
    const src = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
    const out: Import[] = [];
    for (const st of src.statements) {
        const isImport = ts.isImportDeclaration(st);
        if (!isImport && !ts.isExportDeclaration(st)) continue;
        const spec = st.moduleSpecifier;
        if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
        const to = resolve(file, spec.text);
        if (!to) continue;
        const values: string[] = [];
        if (isImport) {
            const clause = st.importClause;
            if (clause && !clause.isTypeOnly) {
                if (clause.name) values.push(clause.name.text);
                const bindings = clause.namedBindings;
                if (bindings && ts.isNamespaceImport(bindings)) values.push(`* as ${bindings.name.text}`);
                if (bindings && ts.isNamedImports(bindings)) values.push(...bindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text));
            }
        } else if (!st.isTypeOnly) {
            const clause = st.exportClause;
            if (clause && ts.isNamedExports(clause)) values.push(...clause.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text));
            else values.push("*");
        }
        out.push({ from: file, to, values });
    }
    return out;
}

const top = (file: string) => (file === "index.ts" ? file : file.split(path.sep)[0]);
const FILES = sourceFiles();
const IMPORTS = FILES.flatMap(importsOf);

/** Import cycles, as the files of each strongly connected component (Tarjan). */
function cycles(edges: Import[]): string[][] {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string) => {
        index.set(v, index.size);
        low.set(v, index.get(v) as number);
        stack.push(v);
        onStack.add(v);
        for (const w of next.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
        }
        if (low.get(v) === index.get(v)) {
            const scc: string[] = [];
            let w: string;
            do {
                w = stack.pop() as string;
                onStack.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (next.get(v) ?? []).includes(v)) found.push(scc.sort());
        }
    };
    for (const f of FILES) if (!index.has(f)) visit(f);
    return found;
}

describe("the one-way house: config → plan → components → index.ts and scripts", () => {
    it("reads the imports of every source folder", () => {
        for (const dir of ["config", "plan", "components", "scripts"]) expect(FILES.some((f) => top(f) === dir)).toBe(true);
        expect(IMPORTS.length).toBeGreaterThan(100);
    });

    it("has no import from a lower folder to a higher one", () => {
        const upward = IMPORTS.filter((i) => FLOOR[top(i.to)] > FLOOR[top(i.from)] || (FLOOR[top(i.to)] === FLOOR[top(i.from)] && top(i.to) !== top(i.from)));
        expect(upward.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
    });

    it("has no import cycle, within a folder or across folders", () => {
        expect(cycles(IMPORTS)).toEqual([]);
    });

    it("lets components take from config/ and plan/ only types, constants and the shared vocabulary", () => {
        const logic = IMPORTS.filter((i) => top(i.from) === "components" && (top(i.to) === "config" || top(i.to) === "plan"))
            .filter((i) => !VOCABULARY.some((re) => re.test(i.to.split(path.sep).join("/"))))
            .flatMap((i) => i.values.filter((v) => !/^[A-Z][A-Z0-9_]*$/.test(v)).map((v) => `${i.from} takes ${v} from ${i.to}`));
        expect(logic).toEqual([]);
    });

    it("keeps the plan pure: no Pulumi resource is constructed under plan/ or config/", () => {
        const registering = FILES.filter((f) => FLOOR[top(f)] <= 1).filter((f) => /new (k8s|command|random)\.|ComponentResource/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(registering).toEqual([]);
    });
});

describe("the cycle finder", () => {
    it("finds a two-file cycle and ignores a chain", () => {
        const edge = (from: string, to: string): Import => ({ from, to, values: [] });
        expect(cycles([edge("index.ts", "plan/a.ts"), edge("plan/a.ts", "index.ts")])).toEqual([["index.ts", "plan/a.ts"]]);
    });
});

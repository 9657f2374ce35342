/*
 * What a chart bump does to CustomResourceDefinitions, for `npm run diff`:
 * the rendered manifests leave out the charts' crds/ directories (Helm
 * installs those once and never upgrades them), so a changed CRD there is
 * said in a line of its own. CRDs a chart makes from templates are compared
 * too (Helm upgrades those with the release).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartTgz } from "./cache";
import type { Release } from "./releases";

/** A chart package's CRD files (path inside the package → text): crds/ at any depth, and templates that define one. */
export function crdFiles(tgz: string): Map<string, string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-crds-"));
    try {
        execFileSync("tar", ["-xzf", tgz, "-C", dir]);
        const out = new Map<string, string>();
        const walk = (d: string, rel: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const r = rel ? `${rel}/${e.name}` : e.name;
                if (e.isDirectory()) walk(path.join(d, e.name), r);
                else if (/\.(ya?ml|json)$/.test(e.name)) {
                    const text = fs.readFileSync(path.join(d, e.name), "utf8");
                    // Without the package's top directory (the chart's name), so two versions line up.
                    if (/(^|\/)crds\//.test(r) || (/(^|\/)templates\//.test(r) && /^kind:\s*CustomResourceDefinition\s*$/m.test(text))) out.set(r.split("/").slice(1).join("/"), text);
                }
            }
        };
        walk(dir, "");
        return out;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Changed, added and removed CRD files between two packages. */
export function crdChanges(base: Map<string, string>, head: Map<string, string>): { changed: string[]; added: string[]; removed: string[] } {
    return {
        changed: [...head.keys()].filter((k) => base.has(k) && base.get(k) !== head.get(k)),
        added: [...head.keys()].filter((k) => !base.has(k)),
        removed: [...base.keys()].filter((k) => !head.has(k)),
    };
}

/** One line per release whose chart version changed and whose CRDs change with it (or cannot be compared). */
export function crdLines(base: Release[], head: Release[], cache?: string): string[] {
    const lines: string[] = [];
    for (const h of head) {
        const b = base.find((r) => r.name === h.name && r.chart === h.chart && r.repo === h.repo);
        if (!b || b.version === h.version) continue;
        const what = `${h.name}: ${h.chart} ${b.version} → ${h.version}`;
        const missing = [b, h].filter((r) => !fs.existsSync(chartTgz(r, cache)));
        if (missing.length > 0) {
            lines.push(`CRDs of ${what} not compared: ${missing.map((r) => `${r.chart} ${r.version}`).join(" and ")} not in the chart cache (npm run charts)`);
            continue;
        }
        const c = crdChanges(crdFiles(chartTgz(b, cache)), crdFiles(chartTgz(h, cache)));
        const parts = (["changed", "added", "removed"] as const).filter((k) => c[k].length > 0).map((k) => `${c[k].length} ${k} (${c[k].map((f) => path.basename(f)).join(", ")})`);
        if (parts.length === 0) continue;
        const inCrds = [...c.changed, ...c.added].some((f) => /(^|\/)crds\//.test(f));
        lines.push(`CRDs change with ${what}: ${parts.join("; ")}${inCrds ? "; Helm does not upgrade crds/: apply them before `pulumi up` (docs/operations.md, \"Bump a pin\")" : ""}`);
    }
    return lines;
}

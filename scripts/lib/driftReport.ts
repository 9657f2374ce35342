/*
 * What `pulumi preview --refresh --expect-no-changes --json` found, named per
 * node: each node's `<node>-observed` (the drift observation) carries the
 * repairs its refresh found; every other resource that would change is put
 * under the node its name starts with, or under "cluster".
 */

interface PreviewStep {
    op: string;
    urn: string;
    oldState?: { type?: string; outputs?: { repairs?: string[] } };
    newState?: { type?: string };
}

export interface DriftReport {
    stack: string;
    /** Node name → what drifted there (repairs first, then resources that would change). */
    nodes: Record<string, string[]>;
    /** Changes on no node: Kubernetes objects, releases, the stack's own resources. */
    cluster: string[];
    /** The preview's errors (a failed refresh is no "no drift"). */
    errors: string[];
}

const OBSERVATION = "picluster:NodeObservation";
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

export function driftReport(stack: string, previewJson: string): DriftReport {
    const doc = JSON.parse(previewJson) as { steps?: PreviewStep[]; diagnostics?: { severity?: string; message?: string }[] };
    const steps = doc.steps ?? [];
    const isObservation = (s: PreviewStep) => (s.oldState?.type ?? s.newState?.type ?? s.urn).endsWith(OBSERVATION);
    const nodes: Record<string, string[]> = {};
    for (const s of steps.filter(isObservation)) nodes[nameOf(s.urn).replace(/-observed$/, "")] = [...(s.oldState?.outputs?.repairs ?? [])];
    const names = Object.keys(nodes).sort((a, b) => b.length - a.length);
    const cluster: string[] = [];
    for (const s of steps.filter((x) => !["same", "read", "refresh"].includes(x.op) && !isObservation(x))) {
        const name = nameOf(s.urn);
        const node = names.find((n) => name.startsWith(`${n}-`));
        (node ? nodes[node] : cluster).push(`${s.op} ${name}`);
    }
    for (const n of Object.keys(nodes)) if (nodes[n].length === 0) delete nodes[n];
    const errors = (doc.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => (d.message ?? "").trim());
    return { stack, nodes, cluster, errors };
}

export const drifted = (r: DriftReport) => Object.keys(r.nodes).length > 0 || r.cluster.length > 0 || r.errors.length > 0;

/** The report as Markdown (a job summary, an issue comment), starting with its marker line. */
export function driftMarkdown(r: DriftReport, context = ""): string {
    const out = [`<!-- picluster-drift-${r.stack} -->`, `### Drift on ${r.stack}: ${drifted(r) ? "found" : "none"}${context ? ` (${context})` : ""}`, ""];
    for (const [node, what] of Object.entries(r.nodes).sort()) out.push(`- **${node}**: ${what.join("; ")}`);
    if (r.cluster.length > 0) out.push(`- **cluster**: ${r.cluster.join("; ")}`);
    if (r.errors.length > 0) out.push("", "The preview failed:", "```text", ...r.errors, "```");
    if (drifted(r) && r.errors.length === 0) out.push("", `Repair with \`npm run pulumi -- up --refresh --stack ${r.stack}\` after reading the preview.`);
    return `${out.join("\n")}\n`;
}

/** One node's pre-flight result, parsed from preflight.sh's report. */
export interface PreflightReport {
    checks: { name: string; status: "ok" | "problem" | "fixed"; detail: string }[];
    facts: Record<string, string>;
    rebootScheduled: boolean;
}

/** Parses the line-oriented report preflight.sh prints. Unknown lines are ignored. */
export function parsePreflightReport(stdout: string): PreflightReport {
    const report: PreflightReport = { checks: [], facts: {}, rebootScheduled: false };
    for (const line of stdout.split("\n")) {
        const check = /^check (\S+) (ok|problem|fixed) ?(.*)$/.exec(line);
        if (check) {
            report.checks.push({ name: check[1], status: check[2] as "ok" | "problem" | "fixed", detail: check[3] });
            continue;
        }
        const fact = /^fact (\S+) (.*)$/.exec(line);
        if (fact) report.facts[fact[1]] = fact[2].trim();
        else if (line.trim() === "reboot scheduled") report.rebootScheduled = true;
    }
    return report;
}

/**
 * Problems only visible across nodes: cloned SD cards share a hostname or a
 * machine-id, which breaks node registration and log identity. Returns one
 * message per clash, naming every node involved.
 */
export function crossNodeProblems(reports: Record<string, PreflightReport>): string[] {
    const problems: string[] = [];
    for (const [fact, fix] of [
        ["hostname", "give each node its own hostname (hostnamectl set-hostname NAME)"],
        ["machine-id", "regenerate it on the clones (rm /etc/machine-id && systemd-machine-id-setup)"],
    ] as const) {
        const byValue = new Map<string, string[]>();
        for (const [node, report] of Object.entries(reports)) {
            const value = report.facts[fact];
            if (value === undefined || value === "" || value === "missing") continue;
            byValue.set(value, [...(byValue.get(value) ?? []), node]);
        }
        for (const [value, nodes] of byValue) {
            if (nodes.length > 1) problems.push(`nodes ${nodes.sort().join(", ")} share ${fact} '${value}': ${fix}`);
        }
    }
    return problems;
}

/** Raised when nodes clash; lists every clash and how to re-run the check. */
export class PreflightError extends Error {
    constructor(problems: string[], rerun: string[]) {
        super(
            `pre-flight found ${problems.length} problem${problems.length === 1 ? "" : "s"} across nodes; nothing was installed:\n` +
                problems.map((p) => `  - ${p}`).join("\n") +
                `\nAfter fixing, re-run the checks: pulumi up ${rerun.map((u) => `--replace '${u}'`).join(" ")}`,
        );
        this.name = "PreflightError";
    }
}

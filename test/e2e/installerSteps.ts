import * as fs from "fs";
import * as path from "path";
import { Harness } from "./harness";

/**
 * e2e steps that need the real install.sh and the systemd stub (docs/e2e.md):
 * what the agents hold, and a join the server refuses. Each returns its
 * one-line result or throws.
 */

function check(ok: boolean, message: string): asserts ok {
    if (!ok) throw new Error(message);
}

/** The server token, from the first server's config.yaml. */
function serverToken(h: Harness, server: string): string {
    const config = fs.readFileSync(path.join(h.node(server).root, "etc-rancher", "k3s", "config.yaml"), "utf8");
    const token = /^token: *['"]?([^'"\n]+)/m.exec(config)?.[1];
    check(token !== undefined && token.length > 0, `${server}'s config.yaml has no token`);
    return token;
}

/** Agents' config.yaml and the unit files install.sh wrote hold no server token. */
export function agentsHoldNoServerToken(h: Harness, server: string, agents: string[]): string {
    const token = serverToken(h, server);
    const files = ["etc-rancher/k3s/config.yaml", "etc-systemd-system/k3s-agent.service", "etc-systemd-system/k3s-agent.service.env"];
    for (const agent of agents) {
        for (const f of files) {
            const file = path.join(h.node(agent).root, f);
            check(fs.existsSync(file), `${agent}: ${f} is missing (did install.sh run?)`);
            const text = fs.readFileSync(file, "utf8");
            check(!text.includes(token), `${agent}: ${f} holds the server token`);
            check(!/^agent-token:/m.test(text), `${agent}: ${f} holds agent-token (servers only)`);
        }
        const mode = fs.statSync(path.join(h.node(agent).root, "etc-systemd-system", "k3s-agent.service.env")).mode & 0o777;
        check(mode === 0o600, `${agent}: k3s-agent.service.env is ${mode.toString(8)}, expected 600`);
    }
    return `${agents.join(", ")}: config.yaml, k3s-agent.service and its env file hold no server token`;
}

/**
 * A join the server refuses: `agent` is removed, then re-added while the
 * server's agent token differs from the one the program gives it. The real
 * unit is Type=notify with TimeoutStartSec=0, so a blocking start would hang;
 * `up` must fail within timeouts.readySeconds naming the node and the cause.
 * With the server's token restored, the next `up` converges.
 */
export function refusedJoinFailsBounded(h: Harness, agent: string, readySeconds: number): string {
    const up = () => h.pulumiOk(["up", "--yes", "--skip-preview"]);
    const template = (h.clusterConfig().nodes as { name: string }[]).find((n) => n.name === agent);
    check(template !== undefined, `no node ${agent} in the harness`);
    h.editCluster((c) => {
        c.nodes = c.nodes.filter((n) => n.name !== agent);
    });
    up();
    const tokenFile = path.join(h.dir, "cluster", "agent-token");
    const good = fs.readFileSync(tokenFile, "utf8");
    fs.writeFileSync(tokenFile, "rotated-on-the-server\n");
    h.editCluster((c) => {
        c.nodes.push(template as never);
    });
    let failed;
    try {
        failed = h.pulumi(["up", "--yes", "--skip-preview", "--stack", h.stack]);
    } finally {
        fs.writeFileSync(tokenFile, good);
    }
    check(failed.code !== 0, "up succeeded although the server refuses the agent's token");
    const out = failed.stdout + failed.stderr;
    const line = out.split("\n").find((l) => l.includes(`[${agent}] k3s-agent not active`));
    // On another failure, its error lines (not the outputs' tail, which an unrelated error leaves unexplained).
    const errors = out.split("\n").filter((l) => /error|failed|refused/i.test(l));
    check(line !== undefined, `no line names ${agent} as not active; the up's errors:\n${errors.slice(0, 40).join("\n")}`);
    check(line.includes(`within ${readySeconds}s: token rejected by`), `the failure does not name the rejected token within ${readySeconds}s: ${line.trim()}`);
    const r = up();
    const node = h.kubectlJson<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(["get", "nodes"]).items.find(
        (n) => n.metadata.name === agent,
    );
    check(node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true, `${agent} is not Ready after the token was restored`);
    return `refused join: up failed after ${failed.seconds.toFixed(1)} s (readySeconds ${readySeconds}): "${line.trim().slice(0, 140)}"; token restored, up ${r.seconds.toFixed(1)} s, ${agent} Ready`;
}

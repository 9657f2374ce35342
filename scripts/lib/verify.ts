import type { StackPlan } from "../../plan/plan";
import { OLLAMA_NAMESPACE, OLLAMA_PORT, OLLAMA_SERVICE } from "../../plan/services/ollama";
import { MONITORING_NAMESPACE } from "../../plan/services/monitoring";
import { ROCKETCHAT_NAMESPACE } from "../../plan/services/rocketchat";
import { AGENT_HOST_NAMESPACE } from "../../plan/agentDemand";
import { MONITORING_RELEASE } from "../../components/platform/services/monitoring";
import { POSTGRES_IMAGES } from "../../components/platform/services/postgres";
import { HOST_SELECTOR } from "../../components/agents/agentHost/names";
import { nodeSelectorFor } from "../../plan/values";

/*
 * What `npm run verify` probes, from the stack's plan: one check per
 * enabled service, each answered from inside the cluster (the API server's
 * service proxy, a one-shot pod, or the kubelet's last readiness probe),
 * and the table it prints. Pure: verifyProbes.ts runs the checks.
 */

/** What a service's HTTP answer must show. */
export type HttpExpect = { kind: "status" } | { kind: "ollama-models"; models: string[] } | { kind: "rocketchat-info" } | { kind: "grafana-health" };

export type Check =
    | { name: string; kind: "http"; namespace: string; service: string; port: number | string; path: string; expect: HttpExpect }
    | { name: string; kind: "pods"; namespace: string; selector: Record<string, string>; what: string }
    | {
          name: string;
          kind: "postgres";
          database: string;
          owner: string;
          /** The pinned PostgreSQL image: psql, and already on the database's nodes. */
          image: string;
          nodeSelector: Record<string, string>;
          /** Apps whose `<app>-postgres` Secret must hold the role's password. */
          appSecrets: { app: string; namespace: string; name: string }[];
      }
    | { name: string; kind: "skip"; reason: string };

/** One row of the table. */
export interface Row {
    name: string;
    state: "ok" | "down" | "skipped";
    reason: string;
}

/** Every check the stack's enabled services call for, in the table's order. */
export function verifyChecks(plan: StackPlan): Check[] {
    const checks: Check[] = [];
    const on = new Set(plan.platform.services.map((s) => s.key));
    const services = plan.config.services;
    if (on.has("storage")) checks.push({ name: "longhorn", kind: "http", namespace: "longhorn-system", service: "longhorn-frontend", port: 80, path: "/", expect: { kind: "status" } });
    if (on.has("ollama")) {
        checks.push({ name: "ollama", kind: "http", namespace: OLLAMA_NAMESPACE, service: OLLAMA_SERVICE, port: OLLAMA_PORT, path: "/api/tags", expect: { kind: "ollama-models", models: [...services.ollama.models] } });
    } else if (services.ollama.external) {
        checks.push({ name: "ollama", kind: "skip", reason: `outside the cluster (${services.ollama.external.url}): not probed from inside` });
    }
    if (on.has("monitoring")) {
        checks.push({ name: "prometheus", kind: "http", namespace: MONITORING_NAMESPACE, service: `${MONITORING_RELEASE}-kube-prometheus-prometheus`, port: 9090, path: "/-/ready", expect: { kind: "status" } });
        checks.push({ name: "grafana", kind: "http", namespace: MONITORING_NAMESPACE, service: `${MONITORING_RELEASE}-grafana`, port: 80, path: "/api/health", expect: { kind: "grafana-health" } });
    }
    if (on.has("postgres")) {
        const pg = services.postgres;
        for (const db of plan.platform.databases) {
            const apps = plan.platform.apps.filter((a) => a.spec.postgres?.database === db.name);
            checks.push({
                name: `postgres/${db.name}`,
                kind: "postgres",
                database: db.name,
                owner: db.owner,
                image: POSTGRES_IMAGES[pg.postgresMajor],
                nodeSelector: nodeSelectorFor(pg.placement),
                appSecrets: apps.map((a) => ({ app: a.spec.name, namespace: a.namespace, name: `${a.spec.name}-postgres` })),
            });
        }
    }
    if (on.has("rocketchat")) checks.push({ name: "rocketchat", kind: "http", namespace: ROCKETCHAT_NAMESPACE, service: "rocketchat-rocketchat", port: 80, path: "/api/info", expect: { kind: "rocketchat-info" } });
    for (const { resolved } of plan.platform.catalog) {
        const preset = resolved.preset;
        if (!preset?.service || !preset.health) {
            checks.push({ name: `catalog/${resolved.name}`, kind: "skip", reason: "no health endpoint known (not a preset): see its chart" });
            continue;
        }
        const service = preset.service.name(resolved.name);
        checks.push({ name: `catalog/${resolved.name}`, kind: "http", namespace: resolved.namespace, service, port: preset.health.port ?? preset.service.port, path: preset.health.path, expect: { kind: "status" } });
    }
    for (const { spec, namespace } of plan.platform.apps) {
        const probe = spec.readinessProbe;
        if ("httpGet" in probe) checks.push({ name: `apps/${spec.name}`, kind: "http", namespace, service: spec.name, port: spec.service.port, path: probe.httpGet, expect: { kind: "status" } });
        else checks.push({ name: `apps/${spec.name}`, kind: "pods", namespace, selector: { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/instance": spec.name }, what: "pods pass their TCP readiness probe" });
    }
    if (plan.config.agentHost.enabled) {
        checks.push({ name: "agent-host", kind: "pods", namespace: AGENT_HOST_NAMESPACE, selector: HOST_SELECTOR, what: "pods answer the Health RPC (their readiness probe, every 10 s)" });
    }
    return checks;
}

/** The table: one row per check, the state and the reason. */
export function formatTable(rows: Row[]): string {
    const header = ["service", "state", "reason"];
    const widths = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((r) => [r.name, r.state][i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd();
    return [line(header), line(["-".repeat(widths[0]), "-".repeat(widths[1]), "------"]), ...rows.map((r) => line([r.name, r.state, r.reason.replace(/\s*\n\s*/g, "; ")]))].join("\n");
}

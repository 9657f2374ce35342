import type { PodSecurityLevel } from "../../config/podSecurity";
import type { Values } from "../values";

/** A chart pinned to one version in one repository. */
export interface ChartRef {
    /** Chart name in the repository (`ollama`, `kube-prometheus-stack`). */
    chart: string;
    /** `https://…` index or `oci://registry/path` (the chart is then `repo/chart`). */
    repo: string;
    /** Exact chart version. */
    version: string;
}

/** What a preset's values may depend on: the platform's storage class and the in-cluster services the config enables. */
export interface PresetContext {
    storageClass: string;
    /** Where Ollama is (in-cluster or external), when there is one: plan/services/ollama.ts's OllamaAccess. */
    ollama?: { url: string; egress: Values };
    /** The PostgreSQL cluster's namespace and port, when services.postgres is enabled. */
    postgres?: { namespace: string; port: number };
    /** kube-prometheus-stack is installed (its ServiceMonitor kind exists). */
    monitoring?: boolean;
}

/** A ready-made catalog entry: a pinned chart plus values that suit a Pi cluster. */
export interface CatalogPreset extends ChartRef {
    namespace: string;
    podSecurity: PodSecurityLevel;
    /** Total requests of the chart's long-running pods, for the capacity check. */
    requests: { cpu: string; memory: string };
    /** The chart's main Service, from the release name. */
    service?: { name: (release: string) => string; port: number };
    /** An HTTP path on that Service (or on `port`) that answers while the chart runs, for `npm run verify`. */
    health?: { path: string; port?: number };
    /** Helm value paths that receive the entry's node selector. */
    nodeSelectorPaths: string[];
    values: (ctx: PresetContext) => Values;
    /** A Kubernetes Secret the values reference by name, with one generated password per key. */
    generatedSecret?: { name: string; keys: string[] };
    /** Helm value paths that get a generated password (as a secret Output) when the chart cannot read a Secret. */
    generatedValues?: string[];
    /** Helm value paths the entry must fill from secret config (`secretValues`); the plan refuses the entry without them. */
    requiredSecretValues?: string[];
    /**
     * A Secret the values reference by name, filled from the entry's
     * `secretValues` (Secret key → secretValues path); those paths then stay
     * out of the Helm values.
     */
    configSecret?: { name: string; keys: Record<string, string> };
    /** Size of the chart's volume, for the disk check. */
    storage?: string;
    /** The web UI the chart serves, routed by the front door (plan/ingress). */
    ui?: PresetUI;
}

/** A preset's web UI: its Service and port, and how a user logs in. */
export interface PresetUI {
    /** The first label of its default host when the entry keeps the preset's name (`jupyter`); else the entry's name. */
    subdomain: string;
    /** The Service, from the release name. */
    service: (release: string) => string;
    port: number;
    /** How to log in, from the entry (its name, its secretValues); undefined when the UI has none. */
    login?: (entry: { name: string; secretValues: Record<string, string> }) => string;
}

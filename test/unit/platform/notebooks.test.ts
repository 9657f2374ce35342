import { describe, expect, it } from "vitest";
import { resolveCatalogEntry } from "../../../plan/catalog/presets";
import { servicesSchema } from "../../../config/schema/services";
import { planStack } from "../../../plan/plan";
import { ollamaAccess } from "../../../plan/services/ollama";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;
const entry = () => servicesSchema.parse({ catalog: [{ name: "jupyterhub", preset: "jupyterhub" }] }).catalog[0];
const singleuser = (platform: Parameters<typeof resolveCatalogEntry>[2]) => (resolveCatalogEntry(entry(), "local-path", platform).defaults as Values).singleuser;
const POSTGRES = { namespace: "postgres", port: 5432 };

describe("JupyterHub notebooks reach the platform's services the config enables", () => {
    it("open egress to the in-cluster Ollama's namespace and PostgreSQL's, each on its port, and name Ollama in OLLAMA_HOST", () => {
        const s = singleuser({ ollama: ollamaAccess({ enabled: true }), postgres: POSTGRES });
        expect(s.networkPolicy.egress).toEqual([
            { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ai-services" } } }], ports: [{ protocol: "TCP", port: 11434 }] },
            { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "postgres" } } }], ports: [{ protocol: "TCP", port: 5432 }] },
        ]);
        expect(s.extraEnv).toEqual({ OLLAMA_HOST: "http://ollama-service.ai-services.svc.cluster.local:11434" });
    });

    it("reach an external Ollama on the LAN through its CIDR (z2jh blocks private addresses by default)", () => {
        const s = singleuser({ ollama: ollamaAccess({ enabled: false, external: { url: "http://192.168.1.50:11434" } }) });
        expect(s.networkPolicy.egress).toEqual([{ to: [{ ipBlock: { cidr: "192.168.1.50/32" } }], ports: [{ protocol: "TCP", port: 11434 }] }]);
        expect(s.extraEnv.OLLAMA_HOST).toBe("http://192.168.1.50:11434");
    });

    it("open nothing, and set no OLLAMA_HOST, when the config enables neither", () => {
        const s = singleuser({});
        expect(s.networkPolicy.egress).toEqual([]);
        expect(s).not.toHaveProperty("extraEnv");
    });

    it("follow the stack: pi's notebooks get Ollama and PostgreSQL; with Ollama outside and PostgreSQL off, only the outside Ollama", () => {
        const egressOf = (services: Values) => {
            // No apps: pi's app asks for a database, which a disabled PostgreSQL refuses.
            const plan = planStack(stackSource("pi", { services, apps: [] }));
            return (plan.platform.catalog.find((c) => c.resolved.name === "jupyterhub")?.resolved.defaults as Values).singleuser.networkPolicy.egress as Values[];
        };
        const pi = stackValues("pi").values.services as Values;
        expect(egressOf(pi).map((r) => r.ports[0].port)).toEqual([11434, 5432]);
        const off = { ...pi, ollama: { enabled: false, external: { url: "http://192.168.1.50:11434" } }, postgres: { enabled: false } };
        expect(egressOf(off).map((r) => r.to[0])).toEqual([{ ipBlock: { cidr: "192.168.1.50/32" } }]);
    });
});

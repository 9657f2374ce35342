import { beforeAll, describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { loadConfig, secretsOf } from "../../../config/load";
import { type ConfigSource } from "../../../config/source";
import { buildPlan } from "../../../plan/plan";
import { deployCommand, deployTargets, findTargetUrns, qualifiedName, resolveDeployTarget } from "../../../scripts/lib/deploy";
import { registeredResources, resetRegistry, type RegisteredResource } from "../../helpers/mocks";
import { stackSource, stackValues } from "../../helpers/stacks";

const planOf = (source: ConfigSource) => buildPlan(loadConfig(source), secretsOf(source));

/** The pi stack's nodes, agent host and app, with these services: deploy offers what its plan creates. */
const pi = stackValues("pi").values;
const config = {
    services: {
        ollama: { enabled: true, version: "1.77.0" },
        postgres: { enabled: true },
        rocketchat: { enabled: false },
        monitoring: { enabled: true },
        catalog: [
            { name: "jupyterhub", enabled: true, preset: "jupyterhub" },
            { name: "headlamp", enabled: false, preset: "headlamp" },
            { name: "ollama", enabled: true, chart: "ollama", repo: "https://helm.otwld.com/", version: "1.77.0" },
        ],
    },
    agentHost: { ...(pi.agentHost as Record<string, unknown>), enabled: true },
    workerAgents: { enabled: false },
    apps: [{ ...(pi.apps as Record<string, unknown>[])[0], name: "placemyparents", enabled: true }],
};
const plan = planOf(stackSource("pi", config));

const urn = (type: string, name: string, parents = "picluster:index:Picluster$picluster:platform:Platform") => `urn:pulumi:pi::picluster::${parents}$${type}::${name}`;
const exported = {
    version: 3,
    deployment: {
        resources: [
            { urn: "urn:pulumi:pi::picluster::pulumi:pulumi:Stack::picluster-pi", type: "pulumi:pulumi:Stack" },
            { urn: urn("picluster:platform:Ollama", "picluster-ollama"), type: "picluster:platform:Ollama" },
            { urn: urn("kubernetes:helm.sh/v3:Release", "picluster-ollama"), type: "kubernetes:helm.sh/v3:Release" },
            { urn: urn("picluster:platform:CatalogRelease", "picluster-catalog-jupyterhub"), type: "picluster:platform:CatalogRelease" },
            { urn: urn("picluster:platform:CatalogRelease", "picluster-catalog-ollama"), type: "picluster:platform:CatalogRelease" },
            { urn: urn("picluster:platform:App", "picluster-app-placemyparents"), type: "picluster:platform:App" },
            { urn: urn("picluster:agents:AgentHostPool", "picluster-agent-host", "picluster:index:Picluster"), type: "picluster:agents:AgentHostPool" },
        ],
    },
};

describe("deploy target resolution", () => {
    const targets = deployTargets(plan);

    it("offers the enabled services, agents, catalog entries and apps of the stack", () => {
        const names = targets.filter((t) => t.enabled).map((t) => t.name);
        expect(names).toEqual(["ollama", "monitoring", "postgres", "agent-host", "jupyterhub", "ollama", "placemyparents"]);
    });

    it("resolves a known name to its component type", () => {
        const r = resolveDeployTarget("postgres", targets, "pi");
        expect(r).toEqual({ ok: true, target: expect.objectContaining({ type: "picluster:platform:Postgres" }) });
        const app = resolveDeployTarget("placemyparents", targets, "pi");
        expect(app).toEqual({ ok: true, target: expect.objectContaining({ type: "picluster:platform:App", nameSuffix: "-app-placemyparents" }) });
    });

    it("answers an unknown name with the list of valid ones", () => {
        const r = resolveDeployTarget("olama", targets, "pi");
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.message).toContain("unknown service 'olama' in stack pi");
        for (const n of ["postgres", "monitoring", "agent-host", "jupyterhub", "placemyparents"]) expect(r.message).toContain(n);
        expect(r.message).not.toContain("headlamp");
    });

    it("says where to enable a disabled service", () => {
        const r = resolveDeployTarget("rocketchat", targets, "pi");
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.message).toContain("picluster:services.rocketchat.enabled");
        const w = resolveDeployTarget("worker-agents", targets, "pi");
        if (!w.ok) expect(w.message).toContain("picluster:workerAgents.enabled");
        expect(w.ok).toBe(false);
    });

    it("asks for the qualified name when a catalog entry shares a service's name", () => {
        const r = resolveDeployTarget("ollama", targets, "pi");
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.message).toContain("use one of ollama, catalog/ollama");
        expect(resolveDeployTarget("catalog/ollama", targets, "pi")).toMatchObject({ ok: true, target: { nameSuffix: "-catalog-ollama" } });
    });

    it("lists nothing for a stack without those keys", () => {
        expect(deployTargets({})).toEqual([]);
        const r = resolveDeployTarget("ollama", [], "dev");
        expect(r.ok).toBe(false);
    });
});

describe("deploy URNs and command", () => {
    const targets = deployTargets(plan);
    const target = (name: string) => {
        const r = resolveDeployTarget(name, targets, "pi");
        if (!r.ok) throw new Error(r.message);
        return r.target;
    };

    it("finds the component's URN in the stack export by type and name, not its children", () => {
        expect(findTargetUrns(target("jupyterhub"), exported)).toEqual([urn("picluster:platform:CatalogRelease", "picluster-catalog-jupyterhub")]);
        expect(findTargetUrns(target("agent-host"), exported)).toEqual([urn("picluster:agents:AgentHostPool", "picluster-agent-host", "picluster:index:Picluster")]);
        expect(findTargetUrns(target("catalog/ollama"), exported)).toEqual([urn("picluster:platform:CatalogRelease", "picluster-catalog-ollama")]);
    });

    it("finds nothing for a service the state does not hold yet", () => {
        expect(findTargetUrns(target("postgres"), exported)).toEqual([]);
        expect(findTargetUrns(target("postgres"), {})).toEqual([]);
    });

    it("runs a targeted up of the component with its dependents, under the policy pack", () => {
        const urns = findTargetUrns(target("placemyparents"), exported);
        expect(deployCommand("pi", urns, ["--yes"])).toEqual(["up", "--stack", "pi", "--policy-pack", "policy", "--target", urns[0], "--target-dependents", "--yes"]);
    });
});

/** A `pulumi stack export` of what the program registered: each resource's type and URN (without the parent chain, which the lookup does not read). */
function stackExport(stack: string, registered: RegisteredResource[]): unknown {
    return { version: 3, deployment: { resources: registered.map((r) => ({ urn: `urn:pulumi:${stack}::picluster::${r.type}::${r.name}`, type: r.type })) } };
}

describe("deploy against the state of the program it deploys", () => {
    const piPlan = planOf(stackSource("pi"));
    let state: unknown;
    beforeAll(async () => {
        resetRegistry();
        new Picluster("picluster", piPlan);
        state = stackExport("pi", await registeredResources());
    });

    it("finds exactly one component for every unit the pi stack's plan creates", () => {
        const targets = deployTargets(piPlan).filter((t) => t.enabled);
        expect(targets.map(qualifiedName)).toEqual(expect.arrayContaining(["ollama", "postgres", "agent-host", "worker-agents", "catalog/jupyterhub", "app/placemyparents"]));
        for (const t of targets) {
            const r = resolveDeployTarget(qualifiedName(t), targets, "pi");
            if (!r.ok) throw new Error(r.message);
            expect(findTargetUrns(r.target, state), qualifiedName(t)).toEqual([expect.stringContaining(`::${t.type}::`)]);
        }
    });

    it("deploys a service by name: a targeted up of its component", () => {
        const r = resolveDeployTarget("ollama", deployTargets(piPlan), "pi");
        if (!r.ok) throw new Error(r.message);
        const urns = findTargetUrns(r.target, state);
        expect(urns).toEqual(["urn:pulumi:pi::picluster::picluster:platform:Ollama::platform-ollama"]);
        expect(deployCommand("pi", urns)).toEqual(["up", "--stack", "pi", "--policy-pack", "policy", "--target", urns[0], "--target-dependents"]);
    });
});

import { beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { checkChartWorkloads, checkEndpoints, checkKeys, checkOperatorImages, checkPodSecurity, checkVersions, PodSecurityJudge } from "../../scripts/charts/checks";
import { allowedKeys, chartExemptions } from "../../scripts/charts/exemptions";
import { isChartManifest, kubeVersion, parseRelease, templateRelease } from "../../scripts/charts/releases";
import { prerequisites, renderBoth, STACKS } from "./layer";

let judge: PodSecurityJudge;
let rendered: Awaited<ReturnType<typeof renderBoth>>;

beforeAll(async () => {
    judge = prerequisites().judge;
    rendered = await renderBoth();
});

/** A copy of a rendered stack with one file changed. */
function withFile(files: Map<string, string>, file: string, change: (text: string) => string): Map<string, string> {
    const copy = new Map(files);
    copy.set(file, change(files.get(file) ?? ""));
    return copy;
}

describe("npm run render -- pi --manifests", () => {
    it("writes the manifests of all 11 releases, each with objects", () => {
        const manifests = [...rendered.pi.keys()].filter(isChartManifest);
        expect(manifests.sort()).toEqual(["cert-manager", "cnpg", "headlamp", "jupyterhub", "lan-dns", "metallb", "monitoring", "ollama", "postgres", "rabbitmq", "rocketchat"].map((r) => `charts/${r}.yaml`));
        for (const f of manifests) expect(YAML.parseAllDocuments(rendered.pi.get(f)!).filter((d) => d.toJS()).length, f).toBeGreaterThan(0);
    });

    it("keeps secrets out of the chart manifests", () => {
        for (const [f, text] of rendered.pi) if (f.startsWith("charts/")) expect(text, f).not.toMatch(/offline-secret:|offline-placeholder-ssh-key/);
    });
});

describe.each(STACKS)("the %s stack's rendered charts", (stack) => {
    const files = () => rendered[stack];

    it("pin only chart versions their repositories publish", () => {
        expect(checkVersions(files())).toEqual([]);
    });

    it("give every stack output endpoint a Service and port that exists", () => {
        expect(checkEndpoints(files())).toEqual([]);
    });

    it("pass the Pod Security level each namespace enforces, user pods included", () => {
        expect(checkPodSecurity(files(), judge)).toEqual([]);
    });

    it("pass the policy pack's workload rules, save the listed exemptions", () => {
        expect(checkChartWorkloads(files(), chartExemptions).problems).toEqual([]);
    });

    it("pin the images operators run from the rendered custom resources", () => {
        expect(checkOperatorImages(files())).toEqual([]);
    });

    it("set only values keys the chart version declares or reads", () => {
        expect(checkKeys(files(), allowedKeys)).toEqual([]);
    });
});

describe("the chart layer fails", () => {
    it("when a pinned chart version does not exist", () => {
        const broken = withFile(rendered.pi, "charts/headlamp.values.yaml", (t) => t.replace(/^version: .*$/m, "version: 0.33.1"));
        expect(checkVersions(broken)).toEqual([expect.stringMatching(/release headlamp: chart headlamp 0\.33\.1 is not published in https:\/\/kubernetes-sigs\.github\.io\/headlamp\/ \(published near it: 0\.32\.1, 0\.33\.0, 0\.34\.0/)]);
    });

    it("when a pod-level setting breaks the namespace's Pod Security level", () => {
        // net.core.somaxconn is not a safe sysctl: baseline (the headlamp namespace) refuses it.
        const release = parseRelease(rendered.pi.get("charts/headlamp.values.yaml")!);
        release.values = { ...release.values, podSecurityContext: { sysctls: [{ name: "net.core.somaxconn", value: "1024" }] } };
        const broken = withFile(rendered.pi, "charts/headlamp.yaml", () => templateRelease(release, { kubeVersion: kubeVersion("v1.33.5+k3s1") }));
        const problems = checkPodSecurity(broken, judge);
        expect(problems).toEqual([expect.stringMatching(/^headlamp: Deployment headlamp\/headlamp violates Pod Security "baseline:v1\.33": forbidden sysctls \(net\.core\.somaxconn\)/)]);
    });

    it("when JupyterHub's user pods would run the privileged cloud-metadata blocker", () => {
        const broken = withFile(rendered.pi, "charts/jupyterhub.values.yaml", (t) => {
            const r = YAML.parse(t);
            r.values.singleuser.cloudMetadata = { blockWithIptables: true };
            return YAML.stringify(r);
        });
        expect(checkPodSecurity(broken, judge)).toEqual([expect.stringMatching(/^jupyterhub: user pod \(singleuser values, started by KubeSpawner\) violates Pod Security "baseline:v1\.33": .*privileged \(container "block-cloud-metadata" must not set securityContext\.privileged=true\)/)]);
    });

    it("when an operator would run a floating image (the cluster chart's default postgresql:16)", () => {
        const release = parseRelease(rendered.dev.get("charts/postgres.values.yaml")!);
        delete (release.values.cluster as Record<string, unknown>).imageName;
        const broken = withFile(rendered.dev, "charts/postgres.yaml", () => templateRelease(release, { kubeVersion: kubeVersion("v1.33.5+k3s1") }));
        expect(checkOperatorImages(broken)).toEqual([expect.stringMatching(/^postgres: Cluster postgres\/postgres: image-pinned: image "ghcr\.io\/cloudnative-pg\/postgresql:16" tag '16' is not an exact version/)]);
    });

    it("when an endpoint is renamed", () => {
        const broken = withFile(rendered.pi, "outputs.yaml", (t) => t.replace("rocketchat-rocketchat.rocketchat.svc", "rocketchat.rocketchat.svc"));
        expect(checkEndpoints(broken)).toEqual([expect.stringMatching(/^endpoint rocketchat = rocketchat\.rocketchat\.svc\.cluster\.local:80: no Service rocketchat in namespace rocketchat \(there: .*rocketchat-rocketchat/)]);
    });

    it("when a chart workload loses what the pack requires", () => {
        const broken = withFile(rendered.dev, "charts/cnpg.yaml", (t) => t.replace(/^(\s+)resources:\n(\s+)limits:/m, "$1resources_dropped:\n$2limits:"));
        expect(checkChartWorkloads(broken, chartExemptions).problems).toEqual([expect.stringMatching(/^cnpg\/Deployment\/cnpg-cloudnative-pg: container-resources: container "manager"/)]);
    });

    it("when the program sets a values key the chart ignores", () => {
        const broken = withFile(rendered.pi, "charts/rocketchat.values.yaml", (t) => {
            const r = YAML.parse(t);
            r.values.mongodb.global = { security: { allowInsecureImages: true } };
            return YAML.stringify(r);
        });
        expect(checkKeys(broken, allowedKeys)).toEqual([expect.stringMatching(/^release rocketchat \(rocketchat 7\.0\.2\): values key mongodb\.global\.security is neither declared/)]);
    });
});

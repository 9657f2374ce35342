import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../../policy/core/evaluate";
import { annotationProblems, EXEMPT_ANNOTATION, exemptionFor, parseExemptAnnotation } from "../../../policy/core/exemptions";
import { plainCopy } from "../../../policy/core/fromCrossGuard";
import { UNKNOWN, type ResourceRule, type ResourceView, type StackRule } from "../../../policy/core/types";
import { dropAllCapabilities } from "../../../policy/rules/capabilities";
import { replicatedHasPdb } from "../../../policy/rules/disruptionBudget";
import { envSecretsByReference } from "../../../policy/rules/envSecrets";
import { helmReleasePinned } from "../../../policy/rules/helmPinned";
import { helmNoInlineCredentials } from "../../../policy/rules/helmSecrets";
import { noHostNamespaces } from "../../../policy/rules/hostNamespaces";
import { noHostPath } from "../../../policy/rules/hostPath";
import { hpaWithoutReplicas } from "../../../policy/rules/hpaReplicas";
import { imagePinned } from "../../../policy/rules/imagePinned";
import { allRules, ruleNames } from "../../../policy/rules";
import { namespaceNetworkPolicy } from "../../../policy/rules/networkPolicy";
import { latestTokens, noLatest } from "../../../policy/rules/noLatest";
import { nonRoot } from "../../../policy/rules/nonRoot";
import { namespacePodSecurity } from "../../../policy/rules/podSecurityLabels";
import { noPrivilegeEscalation } from "../../../policy/rules/privilegeEscalation";
import { noPrivileged } from "../../../policy/rules/privileged";
import { probes } from "../../../policy/rules/probes";
import { readOnlyRootFilesystem } from "../../../policy/rules/readOnlyRootFilesystem";
import { noAutomountedToken } from "../../../policy/rules/serviceAccountToken";
import { explicitKubernetesProvider } from "../../../policy/rules/provider";
import { remoteCommandKey } from "../../../policy/rules/remoteCommandKey";
import { containerResources } from "../../../policy/rules/resources";
import { seccompRuntimeDefault } from "../../../policy/rules/seccomp";
import { replicatedSpreads } from "../../../policy/rules/spread";
import { deployment, goodContainer, hpa, job, namespace, networkPolicy, pdb, release, remoteCommand, TEST_KEY, view } from "./fixtures";

const run = (rule: ResourceRule, r: ResourceView) => rule.validate(r);
const runStack = (rule: StackRule, rs: ResourceView[]) => rule.validate(rs).map((v) => `${v.resource.name}: ${v.message}`);

describe("image-pinned", () => {
    it("passes a version tag and a digest", () => {
        expect(run(imagePinned, deployment())).toEqual([]);
        const digest = deployment("d", { pod: (s) => (s.containers[0].image = `redis@sha256:${"a".repeat(64)}`) });
        expect(run(imagePinned, digest)).toEqual([]);
    });
    it("refuses latest, a missing tag and an init container's floating tag", () => {
        expect(run(imagePinned, deployment("d", { pod: (s) => (s.containers[0].image = "redis:latest") }))[0]).toMatch(/container "app" \(containers\[0\]\) image "redis:latest" uses the floating tag 'latest'/);
        expect(run(imagePinned, deployment("d", { pod: (s) => (s.containers[0].image = "registry:5000/redis") }))[0]).toMatch(/has no tag/);
        const init = deployment("d", { pod: (s) => (s.initContainers = [{ ...goodContainer("init"), image: "busybox:stable" }]) });
        expect(run(imagePinned, init)).toEqual([expect.stringContaining("initContainers[0]")]);
    });
    it("skips an image that is not known until the apply", () => {
        expect(run(imagePinned, deployment("d", { pod: (s) => (s.containers[0].image = UNKNOWN) }))).toEqual([]);
    });
});

describe("container-resources", () => {
    it("passes requests and limits for cpu and memory", () => expect(run(containerResources, deployment())).toEqual([]));
    it("names each missing request or limit", () => {
        const r = deployment("d", { pod: (s) => (s.containers[0].resources = { requests: { cpu: "100m" }, limits: { memory: "1Gi" } }) });
        expect(run(containerResources, r)).toEqual(['container "app" (containers[0]) sets no resources.requests.memory, resources.limits.cpu']);
    });
});

describe("probes", () => {
    it("passes distinct readiness and liveness probes, and Jobs without probes", () => {
        expect(run(probes, deployment())).toEqual([]);
        expect(probes.appliesTo(job())).toBe(false);
        expect(run(probes, job())).toEqual([]);
    });
    it("refuses a missing probe", () => {
        expect(run(probes, deployment("d", { pod: (s) => delete s.containers[0].livenessProbe }))).toEqual(['container "app" (containers[0]) has no livenessProbe']);
    });
    it("refuses identical probes, whatever the key order", () => {
        const r = deployment("d", {
            pod: (s) => {
                s.containers[0].readinessProbe = { httpGet: { port: 8080, path: "/h" }, periodSeconds: 10 };
                s.containers[0].livenessProbe = { periodSeconds: 10, httpGet: { path: "/h", port: 8080 } };
            },
        });
        expect(run(probes, r)[0]).toMatch(/identical readiness and liveness probes/);
    });
});

describe("non-root", () => {
    it("passes runAsNonRoot from the pod with a non-zero UID", () => {
        expect(run(nonRoot, deployment("d", { pod: (s) => delete s.containers[0].securityContext.runAsNonRoot }))).toEqual([]);
    });
    it("refuses a container that turns runAsNonRoot off, and UID 0", () => {
        expect(run(nonRoot, deployment("d", { pod: (s) => (s.containers[0].securityContext.runAsNonRoot = false) }))[0]).toMatch(/does not set runAsNonRoot: true/);
        expect(run(nonRoot, deployment("d", { pod: (s) => (s.containers[0].securityContext.runAsUser = 0) }))).toEqual([expect.stringMatching(/runs as UID 0/)]);
    });
    it("refuses a pod that sets nothing", () => {
        const r = deployment("d", {
            pod: (s) => {
                delete s.securityContext.runAsNonRoot;
                delete s.containers[0].securityContext.runAsNonRoot;
            },
        });
        expect(run(nonRoot, r)).toHaveLength(1);
    });
});

describe("no-privilege-escalation", () => {
    it("passes an explicit false", () => expect(run(noPrivilegeEscalation, deployment())).toEqual([]));
    it("refuses unset (the kernel default is to allow it)", () => {
        expect(run(noPrivilegeEscalation, deployment("d", { pod: (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation }))).toHaveLength(1);
    });
});

describe("drop-all-capabilities", () => {
    it("passes drop ALL with NET_BIND_SERVICE added back", () => {
        expect(run(dropAllCapabilities, deployment("d", { pod: (s) => (s.containers[0].securityContext.capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }) }))).toEqual([]);
    });
    it("refuses a partial drop and any other added capability", () => {
        const r = deployment("d", { pod: (s) => (s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"], add: ["SYS_ADMIN"] }) });
        expect(run(dropAllCapabilities, r)).toEqual([
            'container "app" (containers[0]) does not drop ALL capabilities',
            'container "app" (containers[0]) adds capabilities SYS_ADMIN; only NET_BIND_SERVICE may be added',
        ]);
    });
});

describe("seccomp-runtime-default", () => {
    it("passes RuntimeDefault on the pod or on every container", () => {
        expect(run(seccompRuntimeDefault, deployment())).toEqual([]);
        const perContainer = deployment("d", {
            pod: (s) => {
                delete s.securityContext.seccompProfile;
                s.containers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
            },
        });
        expect(run(seccompRuntimeDefault, perContainer)).toEqual([]);
    });
    it("refuses unset, and a container that overrides the pod with Unconfined", () => {
        expect(run(seccompRuntimeDefault, deployment("d", { pod: (s) => delete s.securityContext.seccompProfile }))[0]).toMatch(/seccompProfile unset/);
        expect(run(seccompRuntimeDefault, deployment("d", { pod: (s) => (s.containers[0].securityContext.seccompProfile = { type: "Unconfined" }) }))[0]).toMatch(/"Unconfined"/);
    });
});

describe("no-host-namespaces", () => {
    it("passes a pod in its own namespaces", () => expect(run(noHostNamespaces, deployment())).toEqual([]));
    it("refuses hostNetwork, hostPID and hostIPC", () => {
        const r = deployment("d", { pod: (s) => Object.assign(s, { hostNetwork: true, hostPID: true, hostIPC: false }) });
        expect(run(noHostNamespaces, r)).toEqual(["pod sets hostNetwork: true", "pod sets hostPID: true"]);
    });
});

describe("no-host-path", () => {
    it("passes emptyDir and PVC volumes", () => {
        expect(run(noHostPath, deployment("d", { pod: (s) => (s.volumes = [{ name: "tmp", emptyDir: {} }, { name: "data", persistentVolumeClaim: { claimName: "x" } }]) }))).toEqual([]);
    });
    it("refuses a hostPath volume", () => {
        expect(run(noHostPath, deployment("d", { pod: (s) => (s.volumes = [{ name: "k3s", hostPath: { path: "/etc/rancher/k3s" } }]) }))).toEqual(['volume "k3s" mounts hostPath /etc/rancher/k3s']);
    });
});

describe("no-privileged", () => {
    it("passes privileged: false", () => expect(run(noPrivileged, deployment())).toEqual([]));
    it("refuses privileged: true", () => {
        expect(run(noPrivileged, deployment("d", { pod: (s) => (s.containers[0].securityContext.privileged = true) }))).toEqual(['container "app" (containers[0]) runs privileged']);
    });
});

describe("env-secrets-by-reference", () => {
    it("passes credentials from secretKeyRef and plain non-sensitive values", () => {
        const r = deployment("d", {
            pod: (s) => (s.containers[0].env = [{ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: "redis", key: "password" } } }, { name: "LOG_LEVEL", value: "info" }]),
        });
        expect(run(envSecretsByReference, r)).toEqual([]);
    });
    it("refuses an inline password or token", () => {
        const r = deployment("d", { pod: (s) => (s.containers[0].env = [{ name: "API_TOKEN", value: "abc" }, { name: "DATABASE_URL", value: "postgres://u:p@h/db" }]) });
        expect(run(envSecretsByReference, r)).toHaveLength(2);
    });
});

describe("read-only-root-filesystem (advisory)", () => {
    it("passes a read-only root filesystem", () => expect(run(readOnlyRootFilesystem, deployment())).toEqual([]));
    it("flags a writable one", () => {
        expect(run(readOnlyRootFilesystem, deployment("d", { pod: (s) => (s.containers[0].securityContext.readOnlyRootFilesystem = false) }))).toEqual([
            'container "app" (containers[0]) does not set readOnlyRootFilesystem: true',
        ]);
        expect(readOnlyRootFilesystem.enforcementLevel).toBe("advisory");
    });
});

describe("no-automounted-token (advisory)", () => {
    it("passes a pod that does not mount the token", () => {
        expect(run(noAutomountedToken, deployment("d", { pod: (s) => (s.automountServiceAccountToken = false) }))).toEqual([]);
    });
    it("flags a pod that leaves the default (mounted)", () => {
        expect(run(noAutomountedToken, deployment("d", { pod: (s) => delete s.automountServiceAccountToken }))).toEqual(["Deployment template does not set automountServiceAccountToken: false"]);
    });
});

describe("replicated-pdb", () => {
    it("passes a single replica without PDB and a replicated Deployment with one", () => {
        expect(runStack(replicatedHasPdb, [deployment("one", { replicas: 1 })])).toEqual([]);
        expect(runStack(replicatedHasPdb, [deployment("web", { replicas: 3 }), pdb("web", { app: "web" })])).toEqual([]);
    });
    it("refuses replicas > 1 or an HPA without a PDB, and a PDB in another namespace or without a policy", () => {
        expect(runStack(replicatedHasPdb, [deployment("web", { replicas: 3 })])).toEqual(["web: Deployment apps/web is replicated (replicas: 3) but no PodDisruptionBudget selects its pods"]);
        expect(runStack(replicatedHasPdb, [deployment("web"), hpa("web", "web")])[0]).toMatch(/scaled by HorizontalPodAutoscaler web \(maxReplicas 5\)/);
        expect(runStack(replicatedHasPdb, [deployment("web", { replicas: 2 }), pdb("web", { app: "web" }, "other")])).toHaveLength(1);
        expect(runStack(replicatedHasPdb, [deployment("web", { replicas: 2 }), pdb("web", { app: "web" }, "apps", {})])[0]).toMatch(/neither minAvailable nor maxUnavailable/);
    });
});

describe("replicated-spread", () => {
    it("passes topology spread or pod anti-affinity", () => {
        const spread = deployment("web", { replicas: 2, pod: (s) => (s.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "web" } } }]) });
        const anti = deployment("api", { replicas: 2, pod: (s) => (s.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } }] } }) });
        expect(runStack(replicatedSpreads, [spread, anti])).toEqual([]);
    });
    it("refuses an HPA-scaled Deployment that may pack every replica onto one Pi", () => {
        expect(runStack(replicatedSpreads, [deployment("web"), hpa("web", "web")])[0]).toMatch(/sets neither topologySpreadConstraints nor podAntiAffinity/);
    });
});

describe("hpa-no-replicas", () => {
    it("passes an HPA-scaled Deployment without replicas, and replicas without an HPA", () => {
        expect(runStack(hpaWithoutReplicas, [deployment("web"), hpa("web", "web"), deployment("db", { replicas: 1 })])).toEqual([]);
    });
    it("refuses replicas on a Deployment an HPA scales", () => {
        expect(runStack(hpaWithoutReplicas, [deployment("web", { replicas: 2 }), hpa("web", "web")])).toEqual([
            "web: Deployment apps/web sets spec.replicas: 2 but an HorizontalPodAutoscaler scales it; drop replicas",
        ]);
    });
});

describe("namespace-network-policy", () => {
    it("passes a namespace with a policy, and a chart-only namespace", () => {
        expect(runStack(namespaceNetworkPolicy, [namespace("apps"), deployment(), networkPolicy("deny", "apps")])).toEqual([]);
        expect(runStack(namespaceNetworkPolicy, [namespace("monitoring"), release("kps", { namespace: "monitoring", chart: "kube-prometheus-stack" })])).toEqual([]);
    });
    it("refuses a namespace with our workloads (or nothing at all) and no policy", () => {
        expect(runStack(namespaceNetworkPolicy, [namespace("apps"), deployment(), networkPolicy("deny", "elsewhere")])).toEqual([
            'apps: namespace "apps" has our workloads (web) but no NetworkPolicy; add a default-deny policy and explicit allows',
        ]);
        expect(runStack(namespaceNetworkPolicy, [namespace("empty")])).toHaveLength(1);
    });
});

describe("namespace-pod-security", () => {
    it("passes enforce restricted or baseline with valid audit/warn", () => {
        expect(run(namespacePodSecurity, namespace("a"))).toEqual([]);
        expect(run(namespacePodSecurity, namespace("b", { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" }))).toEqual([]);
    });
    it("refuses a missing label, a typo, and privileged without an exemption", () => {
        expect(run(namespacePodSecurity, namespace("a", {}))[0]).toMatch(/no pod-security.kubernetes.io\/enforce label/);
        expect(run(namespacePodSecurity, namespace("a", { "pod-security.kubernetes.io/enforce": "restriced" }))[0]).toMatch(/"restriced", not one of/);
        expect(run(namespacePodSecurity, namespace("a", { "pod-security.kubernetes.io/enforce": "privileged" }))[0]).toMatch(/exempt this namespace explicitly/);
    });
});

describe("helm-release-pinned", () => {
    it("passes a repo + exact version, an oci:// chart, and a local chart path", () => {
        expect(run(helmReleasePinned, release("a", { chart: "ollama", version: "1.30.0", repositoryOpts: { repo: "https://otwld.github.io/ollama-helm/" } }))).toEqual([]);
        expect(run(helmReleasePinned, release("b", { chart: "oci://registry-1.docker.io/bitnamicharts/rabbitmq", version: "16.0.14" }))).toEqual([]);
        expect(run(helmReleasePinned, release("c", { chart: "./charts/local" }))).toEqual([]);
    });
    it("refuses a missing repo, a missing version and a range", () => {
        expect(run(helmReleasePinned, release("a", { chart: "ollama" }))).toEqual([
            'chart "ollama" has no repositoryOpts.repo; name the chart repository (or use an oci:// reference)',
            'chart "ollama" version is not set; pin it, e.g. version: "1.2.3"',
        ]);
        expect(run(helmReleasePinned, release("b", { chart: "ollama", version: "^1.30.0", repositoryOpts: { repo: "https://x" } }))[0]).toMatch(/"\^1.30.0" is not exact/);
    });
});

describe("helm-no-inline-credentials", () => {
    it("passes Secret references and non-credential values", () => {
        const values = {
            auth: { existingSecret: "db-auth", secretKeys: { adminPasswordKey: "admin-password", userPasswordKey: "password" } },
            admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
            roles: [{ name: "app", passwordSecret: { name: "app-password" } }],
            defaultBackupStore: { backupTarget: "s3://b@r/p/", backupTargetCredentialSecret: "longhorn-backup-s3" },
            tolerations: [{ key: "picluster.io/gpu", operator: "Exists" }],
            auth2: { password: "" },
            tokenTTL: 3600,
        };
        expect(run(helmNoInlineCredentials, release("a", { chart: "x", values }))).toEqual([]);
    });
    it("refuses an inline password, token or api key, wherever it sits", () => {
        const values = { auth: { rootPassword: "hunter2" }, hub: { config: { DummyAuthenticator: { password: "mock-password-x" } } }, extra: [{ apiKey: "k" }] };
        expect(run(helmNoInlineCredentials, release("a", { chart: "x", values })).map((m) => m.split(" ")[0])).toEqual([
            "values.auth.rootPassword",
            "values.hub.config.DummyAuthenticator.password",
            "values.extra[0].apiKey",
        ]);
    });
});

describe("explicit-kubernetes-provider", () => {
    it("passes the cluster's provider", () => expect(run(explicitKubernetesProvider, deployment())).toEqual([]));
    it("refuses no provider, the engine's default provider and a provider of another package", () => {
        expect(run(explicitKubernetesProvider, { ...deployment(), provider: undefined })[0]).toMatch(/default kubernetes provider/);
        expect(run(explicitKubernetesProvider, { ...deployment(), provider: { type: "pulumi:providers:kubernetes", name: "default_4_34_2" } })[0]).toMatch(/"default_4_34_2"/);
        expect(run(explicitKubernetesProvider, { ...deployment(), provider: { type: "pulumi:providers:command", name: "cmd" } })[0]).toMatch(/not pulumi:providers:kubernetes/);
    });
    it("does not apply to commands or random passwords", () => {
        expect(explicitKubernetesProvider.appliesTo(remoteCommand("c", {}))).toBe(false);
    });
});

describe("remote-command-key", () => {
    it("passes a secret private key that appears nowhere else", () => {
        expect(run(remoteCommandKey, remoteCommand("c", {}, ["connection"]))).toEqual([]);
        // Where the runtime cannot tell secrets apart (CrossGuard), the structural checks still run.
        expect(run(remoteCommandKey, remoteCommand("c", {}))).toEqual([]);
    });
    it("refuses a plain key, a password, and the key copied into the command or its environment", () => {
        expect(run(remoteCommandKey, remoteCommand("c", {}, ["stdin"]))).toEqual([expect.stringMatching(/privateKey is not a Pulumi secret/)]);
        expect(run(remoteCommandKey, remoteCommand("c", { connection: { host: "h", user: "pi", password: "pw" } }))).toEqual([
            expect.stringMatching(/has no privateKey/),
            "connection uses a password; use privateKey",
        ]);
        const leak = remoteCommand("c", { create: `echo '${TEST_KEY.trim()}' > k`, environment: { KEY: TEST_KEY } }, ["connection"]);
        expect(run(remoteCommandKey, leak)).toEqual(["the private key appears in create", "the private key appears in environment.KEY"]);
    });
});

describe("no-latest", () => {
    it("finds floating tokens, not mentions", () => {
        expect(latestTokens("latest")).toEqual(["latest"]);
        expect(latestTokens("docker pull redis:latest && npm i pulumi@latest; K3S_VERSION=latest sh")).toEqual(["redis:latest", "pulumi@latest", "K3S_VERSION=latest"]);
        expect(latestTokens("!c.image.endsWith(':latest')")).toEqual([]);
        expect(latestTokens("the latest release notes")).toEqual([]);
    });
    it("passes pinned inputs and refuses latest anywhere (labels, Helm values)", () => {
        expect(run(noLatest, release("a", { chart: "x", version: "1.0.0", values: { image: { tag: "2.1.0" } } }))).toEqual([]);
        expect(run(noLatest, release("a", { chart: "x", version: "1.0.0", values: { image: { tag: "latest" } } }))).toEqual(['values.image.tag = "latest" floats; pin an exact version']);
        expect(run(noLatest, namespace("a", { "pod-security.kubernetes.io/enforce-version": "latest" }))[0]).toMatch(/^metadata\.labels\.pod-security\.kubernetes\.io\/enforce-version/);
    });
});

describe("exemptions", () => {
    const privileged = { "pod-security.kubernetes.io/enforce": "privileged" };
    it("exempt one rule on one resource by annotation, with the reason", () => {
        const ns = namespace("monitoring", privileged, { [EXEMPT_ANNOTATION]: "namespace-pod-security: node-exporter needs host namespaces; no-latest: n/a" });
        expect(exemptionFor("namespace-pod-security", ns, [])).toBe("node-exporter needs host namespaces");
        expect(exemptionFor("namespace-network-policy", ns, [])).toBeUndefined();
        const { violations, exempted } = evaluate([ns, networkPolicy("deny", "monitoring")], allRules, []);
        expect(violations).toEqual([]);
        expect(exempted).toEqual([{ rule: "namespace-pod-security", type: "kubernetes:core/v1:Namespace", name: "monitoring", reason: "node-exporter needs host namespaces" }]);
    });
    it("exempt by type and name from the static list — and only that resource", () => {
        const list = [{ rule: "namespace-pod-security", type: "kubernetes:core/v1:Namespace", name: "monitoring", reason: "node-exporter needs host namespaces" }];
        const { violations, exempted } = evaluate([namespace("monitoring", privileged), namespace("apps", privileged)], [allRules.find((r) => r.name === "namespace-pod-security")!], list);
        expect(exempted.map((e) => e.name)).toEqual(["monitoring"]);
        expect(violations.map((v) => v.name)).toEqual(["apps"]);
    });
    it("refuses annotations without a reason or naming no rule", () => {
        expect(parseExemptAnnotation("probes:").size).toBe(0);
        expect(annotationProblems("probes: ; nonsense; typo-rule: because", ruleNames)).toEqual([
            'the exemption from "probes" gives no reason',
            '"nonsense" is not "<rule>: <reason>"',
            '"typo-rule" is not a rule of this pack',
        ]);
    });
});

describe("the CrossGuard adapter", () => {
    it("turns values CrossGuard cannot know yet into UNKNOWN instead of failing the whole rule", async () => {
        const { unknownCheckingProxy } = await import("@pulumi/policy");
        const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's marker for an unknown value
        const props = unknownCheckingProxy({ metadata: { name: "web" }, spec: { template: { spec: { containers: [{ name: "app", image: UNKNOWN_STRING }] } } } });
        const copy = plainCopy(props) as any;
        expect(copy.metadata.name).toBe("web");
        expect(copy.spec.template.spec.containers[0].image).toBe(UNKNOWN);
        expect(run(imagePinned, view("kubernetes:apps/v1:Deployment", "web", copy))).toEqual([]);
    });
});

describe("the rule set", () => {
    it("is documented: docs/policy.md has a row per rule with its anchor", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "policy.md"), "utf8");
        for (const r of allRules) {
            const row = doc.split("\n").find((l) => l.startsWith(`| \`${r.name}\` |`));
            expect(row, r.name).toBeDefined();
            expect(row, r.name).toContain(r.anchor);
        }
    });

    it("has one documented, anchored rule per name", () => {
        expect(ruleNames.size).toBe(allRules.length);
        for (const r of allRules) {
            expect(r.name).toMatch(/^[a-z0-9-]+$/);
            expect(r.reason.length, r.name).toBeGreaterThan(40);
            expect(r.anchor.length, r.name).toBeGreaterThan(5);
        }
    });
});

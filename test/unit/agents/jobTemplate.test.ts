import { evaluate } from "@marcbachmann/cel-js";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { CONTAINERS_VARIABLE, JOB_RULES } from "../../../components/agents/jobAdmission";
import { renderJobTemplate } from "../../../components/agents/jobTemplate";
import { jobTemplateSchema } from "../../../config/schema/agents";
import { ollamaAccess } from "../../../plan/services/ollama";

const codeReviewer = jobTemplateSchema.parse({
    name: "code-reviewer",
    image: "ghcr.io/example/code-reviewer:1.4.2",
    command: ["python", "-m", "reviewer"],
    args: ["--model", "llama3:8b"],
    env: { REVIEW_DEPTH: "full" },
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    backoffLimit: 1,
    activeDeadlineSeconds: 900,
    ttlSecondsAfterFinished: 600,
    ollama: true,
    arch: "arm64",
});

const parse = (text: string) => yaml.load(text) as Record<string, any>;

/** The messages of the admission rules a Job violates, evaluated as the API server would. */
function violations(job: Record<string, any>): string[] {
    const containers = evaluate(CONTAINERS_VARIABLE.expression, { object: job });
    return JOB_RULES.filter((r) => evaluate(r.expression, { object: job, variables: { containers } }) !== true).map((r) => r.message);
}

describe("renderJobTemplate", () => {
    it("renders YAML that parses back into a batch/v1 Job in the worker namespace", () => {
        const job = parse(renderJobTemplate(codeReviewer, "worker-agents"));
        expect(job.apiVersion).toBe("batch/v1");
        expect(job.kind).toBe("Job");
        expect(job.metadata).toMatchObject({ name: "code-reviewer", namespace: "worker-agents" });
        const pod = job.spec.template.spec;
        expect(pod.containers).toHaveLength(1);
        expect(pod.containers[0]).toMatchObject({ name: "agent", image: "ghcr.io/example/code-reviewer:1.4.2" });
        expect(pod.containers[0].command).toEqual(["python", "-m", "reviewer"]);
        expect(pod.containers[0].args).toEqual(["--model", "llama3:8b"]);
    });

    it("bounds the Job: backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished and restartPolicy Never", () => {
        const job = parse(renderJobTemplate(codeReviewer, "worker-agents"));
        expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 600 });
        expect(job.spec.template.spec.restartPolicy).toBe("Never");
        const defaults = parse(renderJobTemplate(jobTemplateSchema.parse({ ...codeReviewer, backoffLimit: undefined, activeDeadlineSeconds: undefined, ttlSecondsAfterFinished: undefined }), "w"));
        expect(defaults.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 3600 });
    });

    it("runs as the token-less worker ServiceAccount with a restricted securityContext and resources", () => {
        const pod = parse(renderJobTemplate(codeReviewer, "worker-agents")).spec.template.spec;
        expect(pod.serviceAccountName).toBe("worker-agent");
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        const c = pod.containers[0];
        expect(c.securityContext).toMatchObject({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        });
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } });
        expect(pod.nodeSelector).toEqual({ "kubernetes.io/arch": "arm64" });
    });

    it("opens Ollama (label and OLLAMA_HOST) only for templates that ask for it", () => {
        const withOllama = parse(renderJobTemplate(codeReviewer, "worker-agents", ollamaAccess({ enabled: true }))).spec.template;
        expect(withOllama.metadata.labels["picluster.dev/ollama-access"]).toBe("true");
        expect(withOllama.spec.containers[0].env).toContainEqual({ name: "OLLAMA_HOST", value: "http://ollama-service.ai-services.svc.cluster.local:11434" });
        expect(withOllama.spec.containers[0].env).toContainEqual({ name: "REVIEW_DEPTH", value: "full" });
        const without = parse(renderJobTemplate(jobTemplateSchema.parse({ ...codeReviewer, ollama: false }), "worker-agents")).spec.template;
        expect(without.metadata.labels).not.toHaveProperty("picluster.dev/ollama-access");
        expect(JSON.stringify(without.spec.containers[0].env ?? [])).not.toContain("OLLAMA_HOST");
        const external = parse(renderJobTemplate(codeReviewer, "worker-agents", ollamaAccess({ enabled: false, external: { url: "https://ollama.lan:8443", cidr: "192.168.1.0/24" } }))).spec.template;
        expect(external.spec.containers[0].env).toContainEqual({ name: "OLLAMA_HOST", value: "https://ollama.lan:8443" });
    });

    it("is pure: the same template renders the same text", () => {
        expect(renderJobTemplate(codeReviewer, "worker-agents")).toBe(renderJobTemplate(codeReviewer, "worker-agents"));
    });
});

describe("the worker-Job admission policy (CEL, evaluated)", () => {
    const rendered = () => parse(renderJobTemplate(codeReviewer, "worker-agents"));

    it("admits every rendered template", () => {
        expect(violations(rendered())).toEqual([]);
        expect(violations(parse(renderJobTemplate(jobTemplateSchema.parse({ ...codeReviewer, ollama: false, arch: undefined }), "w")))).toEqual([]);
    });

    const cases: [string, (job: Record<string, any>) => void, RegExp][] = [
        ["a backoffLimit of 5", (j) => (j.spec.backoffLimit = 5), /backoffLimit/],
        ["no activeDeadlineSeconds", (j) => delete j.spec.activeDeadlineSeconds, /activeDeadlineSeconds/],
        ["no ttlSecondsAfterFinished", (j) => delete j.spec.ttlSecondsAfterFinished, /ttlSecondsAfterFinished/],
        ["restartPolicy OnFailure", (j) => (j.spec.template.spec.restartPolicy = "OnFailure"), /restartPolicy/],
        ["a latest image", (j) => (j.spec.template.spec.containers[0].image = "ghcr.io/example/code-reviewer:latest"), /pinned/],
        ["an untagged image on a registry with a port", (j) => (j.spec.template.spec.containers[0].image = "registry.lan:5000/reviewer"), /pinned/],
        ["an init container on latest", (j) => (j.spec.template.spec.initContainers = [{ ...j.spec.template.spec.containers[0], name: "init", image: "busybox:latest" }]), /pinned/],
        ["no memory limit", (j) => delete j.spec.template.spec.containers[0].resources.limits.memory, /requests and limits/],
        ["root", (j) => (j.spec.template.spec.containers[0].securityContext.runAsUser = 0), /restricted securityContext/],
        ["privilege escalation", (j) => (j.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true), /restricted securityContext/],
        ["no seccomp profile", (j) => delete j.spec.template.spec.securityContext.seccompProfile, /seccompProfile/],
        ["a mounted token", (j) => (j.spec.template.spec.automountServiceAccountToken = true), /automountServiceAccountToken/],
        ["another ServiceAccount", (j) => (j.spec.template.spec.serviceAccountName = "orchestrator"), /serviceAccountName/],
    ];
    for (const [what, mutate, message] of cases) {
        it(`refuses a Job with ${what}`, () => {
            const job = rendered();
            mutate(job);
            const found = violations(job);
            expect(found).toHaveLength(1);
            expect(found[0]).toMatch(message);
        });
    }

    it("admits an image pinned by digest", () => {
        const job = rendered();
        job.spec.template.spec.containers[0].image = `ghcr.io/example/code-reviewer@sha256:${"a".repeat(64)}`;
        expect(violations(job)).toEqual([]);
    });
});

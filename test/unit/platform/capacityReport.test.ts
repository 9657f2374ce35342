import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { capacityReport } from "../../../scripts/capacity-report";

const stackYaml = (ollamaMemory: string) => `
config:
  picluster:cluster:
    k3sVersion: v1.33.5+k3s1
    nodes:
      - { name: tower, host: 10.0.0.10, user: admin, role: server, arch: amd64, gpu: true }
      - { name: pi1, host: 10.0.0.21, user: pi, role: agent, arch: arm64 }
  picluster:services:
    ollama: { gpu: true, resources: { requests: { memory: ${ollamaMemory} } } }
  picluster:apps:
    - { name: web, image: "nginx:1.27.3", port: 8080, replicas: 2, arch: arm64 }
`;
const config = (text: string) => (yaml.load(text) as { config: Record<string, unknown> }).config;

describe("scripts/capacity-report", () => {
    it("prints every declared node with its workloads from a Pulumi.<stack>.yaml", () => {
        const r = capacityReport(config(stackYaml("8Gi")));
        expect(r.fits).toBe(true);
        expect(r.text).toMatch(/tower\s+amd64 \(gpu\)\s+.*ollama/);
        expect(r.text).toMatch(/pi1\s+arm64\s+.*apps\/web\[0\], apps\/web\[1\]|pi1\s+arm64\s+.*apps\/web\[1\], apps\/web\[0\]/);
    });

    it("reports what does not fit", () => {
        const r = capacityReport(config(stackYaml("40Gi")));
        expect(r.fits).toBe(false);
        expect(r.text).toMatch(/Does not fit:[\s\S]*ollama\s+amd64\s+2\s+40Gi/);
    });

    it("names the key path of an invalid value instead of planning", () => {
        const r = capacityReport(config(stackYaml("huge")));
        expect(r.problems).toEqual([expect.stringMatching(/^picluster:services\.ollama\.resources\.requests\.memory = "huge": must be a quantity/)]);
    });
});

import { describe, expect, it } from "vitest";
import { REGISTRY_NODE_PORT, resolveCatalogEntry } from "../../../plan/catalog/presets";
import { imagePinProblem } from "../../../config/schema/common";
import { NODE_PORT_ANNOTATION } from "../../../plan/ingress/names";
import { registriesSchema, registryProblems } from "../../../config/schema/registries";
import { servicesSchema } from "../../../config/schema/services";

const entry = () => servicesSchema.parse({ catalog: [{ name: "registry-cache", preset: "registry", arch: "amd64" }] }).catalog[0];

describe("the registry catalog preset", () => {
    it("runs a pinned distribution image as a pull-through cache of Docker Hub", () => {
        const r = resolveCatalogEntry(entry(), "local-path");
        expect(r.chart).toEqual({ chart: "docker-registry", repo: "https://helm.twun.io", version: "2.2.3" });
        const v = r.defaults as Record<string, any>;
        expect(imagePinProblem(`${v.image.repository}:${v.image.tag}`)).toBeUndefined();
        expect(v.proxy).toEqual({ enabled: true, remoteurl: "https://registry-1.docker.io" });
        expect(v.persistence).toMatchObject({ enabled: true, storageClass: "local-path" });
        expect(v.nodeSelector).toEqual({ "kubernetes.io/arch": "amd64" });
    });

    it("is hardened: restricted namespace, non-root, read-only root filesystem, no capabilities", () => {
        const r = resolveCatalogEntry(entry(), "local-path");
        expect(r.podSecurity).toBe("restricted");
        const v = r.defaults as Record<string, any>;
        expect(v.securityContext).toMatchObject({ enabled: true, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(v.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    });

    it("listens on a fixed node port, opted into by the preset, so the mirror config in the docs is a valid endpoint", () => {
        const v = resolveCatalogEntry(entry(), "local-path").defaults as Record<string, any>;
        expect(v.service).toEqual({ type: "NodePort", port: 5000, nodePort: REGISTRY_NODE_PORT, annotations: { [NODE_PORT_ANNOTATION]: expect.stringMatching(/^services\.catalog\[\]\.preset registry: containerd/) } });
        const endpoint = `http://192.168.1.10:${REGISTRY_NODE_PORT}`;
        expect(registryProblems(registriesSchema.parse({ mirrors: { "docker.io": { endpoint: [endpoint] } } }))).toEqual([]);
    });
});

import { describe, expect, it } from "vitest";
import { artifactName, installerEnv, k3sDataDir } from "../../../components/cluster/install/nodeArtifacts";
import { clusterSchema, DEFAULT_INSTALLER, endpointHost, installerProblems, installerSha256, installerUrl } from "../../../config/schema/cluster";
import { agent, clusterWith, server } from "../../helpers/stacks";

const SHA = (c: string) => c.repeat(64);
const artifacts = {
    installScript: { path: "artifacts/install.sh", sha256: SHA("a") },
    k3s: { amd64: { path: "artifacts/k3s", sha256: SHA("b") }, arm64: { path: "artifacts/k3s-arm64", sha256: SHA("c") } },
    images: { arm64: { path: "artifacts/k3s-airgap-images-arm64.tar.zst", sha256: SHA("d") } },
};

describe("installer settings", () => {
    it("defaults to install.sh at a fixed k3s commit, over https, checked against its sha256", () => {
        const c = clusterSchema.parse(clusterWith([server()]));
        expect(installerUrl(c)).toMatch(/^https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\/[0-9a-f]{40}\/install\.sh$/);
        expect(installerSha256(c)).toMatch(/^[0-9a-f]{64}$/);
        expect(installerEnv(c, c.nodes[0])).toMatchObject({ INSTALL_URL: DEFAULT_INSTALLER.url, INSTALL_SHA256: DEFAULT_INSTALLER.sha256 });
        expect(installerProblems(c)).toEqual([]);
    });

    it("checks the default URL against a sha256 the user set instead of the built-in one", () => {
        const c = clusterSchema.parse(clusterWith([server()], { installScriptSha256: SHA("e") }));
        expect(installerEnv(c, c.nodes[0])).toMatchObject({ INSTALL_URL: DEFAULT_INSTALLER.url, INSTALL_SHA256: SHA("e") });
    });

    it("refuses a plain http:// installer URL, naming the key", () => {
        const r = clusterSchema.safeParse(clusterWith([server()], { installScriptUrl: "http://get.k3s.io" }));
        expect(r.success).toBe(false);
        expect(JSON.stringify(r.error?.issues)).toContain("plain http:// is refused");
    });

    it("asks for the sha256 of a configured https installer, with the command that gives it", () => {
        const c = clusterSchema.parse(clusterWith([server()], { installScriptUrl: "https://get.example/install.sh" }));
        expect(installerProblems(c)).toEqual([expect.stringMatching(/^cluster\.installScriptSha256: is required .*\| sha256sum/)]);
        expect(installerProblems({ ...c, installScriptSha256: SHA("e") })).toEqual([]);
        // The built-in sha256 belongs to the default URL only.
        expect(installerSha256(c)).toBeUndefined();
    });

    it("in artifact mode needs a k3s binary for every node's arch", () => {
        const c = clusterSchema.parse(
            clusterWith([server(), agent("pi-1", "10.0.0.21")], { artifacts: { ...artifacts, k3s: { amd64: artifacts.k3s.amd64 } } }),
        );
        expect(installerProblems(c)).toEqual([expect.stringContaining("cluster.artifacts.k3s.arm64: is missing, but nodes[1] 'pi-1' is arm64")]);
    });

    it("passes each node its arch's artifacts by checksum-named file, and no download URL", () => {
        const c = clusterSchema.parse(clusterWith([server(), { ...agent("pi-1", "10.0.0.21"), dataDir: "/mnt/ssd" }], { artifacts }));
        const env = installerEnv(c, c.nodes[1]);
        expect(env).toEqual({
            READY_TIMEOUT: "300",
            DATA_DIR: "/mnt/ssd/k3s",
            ARTIFACT_DIR: "/var/tmp/picluster-artifacts",
            INSTALLER_FILE: `${"a".repeat(12)}-install.sh`,
            INSTALL_SHA256: SHA("a"),
            BINARY_FILE: `${"c".repeat(12)}-k3s-arm64`,
            BINARY_SHA256: SHA("c"),
            IMAGES_FILE: `${"d".repeat(12)}-k3s-airgap-images-arm64.tar.zst`,
            IMAGES_SHA256: SHA("d"),
        });
        // The amd64 server has no images tarball configured: none is passed.
        expect(installerEnv(c, c.nodes[0]).IMAGES_FILE).toBeUndefined();
    });

    it("passes the installer URL and checksum outside artifact mode", () => {
        const c = clusterSchema.parse(clusterWith([server()], { installScriptSha256: SHA("e"), timeouts: { readySeconds: 120 } }));
        expect(installerEnv(c, c.nodes[0])).toMatchObject({ INSTALL_URL: installerUrl(c), INSTALL_SHA256: SHA("e"), READY_TIMEOUT: "120" });
    });

    it("names files on the node by content, and the data dir by dataDir", () => {
        expect(artifactName({ path: "/x/k3s-arm64", sha256: SHA("f") })).toBe("ffffffffffff-k3s-arm64");
        expect(k3sDataDir({})).toBe("/var/lib/rancher/k3s");
        expect(k3sDataDir({ dataDir: "/mnt/ssd" })).toBe("/mnt/ssd/k3s");
    });

    it("takes the host out of IPv4, name and IPv6 endpoints", () => {
        expect(endpointHost("10.0.0.10:6443")).toBe("10.0.0.10");
        expect(endpointHost("cp.lan")).toBe("cp.lan");
        expect(endpointHost("fd00::10")).toBe("fd00::10");
        expect(endpointHost("[fd00::10]:6443")).toBe("fd00::10");
    });

    it("accepts an IPv6 apiEndpoint that is a server's host", () => {
        expect(clusterSchema.safeParse(clusterWith([server("cp-1", "fd00::10")], { apiEndpoint: "[fd00::10]:6443" })).success).toBe(true);
    });
});

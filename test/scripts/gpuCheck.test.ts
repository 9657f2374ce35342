import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parsePreflightReport } from "../../components/cluster/install/preflightReport";
import { Sandbox } from "./sandbox";

/** Writes an executable stub below the node's /usr/local/bin (on the sandbox PATH). */
function stub(node: Sandbox, name: string, body: string): void {
    const file = node.write(`usr/local/bin/${name}`, `#!/usr/bin/env bash\n${body}\n`);
    fs.chmodSync(file, 0o755);
}

const SMI_OK = `echo "nvidia-smi $*" >>"$STUB_LOG"; echo "550.127.05, NVIDIA GeForce RTX 3060"`;

function gpuNode(opts: { driver?: boolean; toolkit?: boolean; os?: string } = {}): Sandbox {
    const node = new Sandbox();
    if (opts.driver !== false) stub(node, "nvidia-smi", SMI_OK);
    else stub(node, "nvidia-smi", `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver" >&2; exit 9`);
    if (opts.toolkit) stub(node, "nvidia-container-runtime", "exit 0");
    node.write("etc/os-release", `ID=${opts.os ?? "ubuntu"}\n`);
    return node;
}

const checks = (stdout: string) => Object.fromEntries(parsePreflightReport(stdout).checks.map((c) => [c.name, c]));

describe("gpu-check.sh before k3s", () => {
    it("passes with the driver and the toolkit, reporting the driver version and the GPU count", () => {
        const r = gpuNode({ toolkit: true }).run("gpu-check.sh", { MODE: "preflight" });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const c = checks(r.stdout);
        expect(c["nvidia-driver"]).toMatchObject({ status: "ok", detail: "driver 550.127.05, NVIDIA GeForce RTX 3060" });
        expect(c["container-toolkit"].status).toBe("ok");
        expect(parsePreflightReport(r.stdout).facts.gpus).toBe("1");
    });

    it("fails when nvidia-smi does not answer and says to install the driver", () => {
        const r = gpuNode({ driver: false, toolkit: true }).run("gpu-check.sh", { MODE: "preflight" });
        expect(r.status).toBe(1);
        expect(checks(r.stdout)["nvidia-driver"].status).toBe("problem");
        expect(checks(r.stdout)["nvidia-driver"].detail).toContain("install the NVIDIA driver");
    });

    it("fails without the toolkit and says what to install; check mode installs nothing", () => {
        const node = gpuNode();
        const r = node.run("gpu-check.sh", { MODE: "preflight" });
        expect(r.status).toBe(1);
        expect(checks(r.stdout)["container-toolkit"]).toMatchObject({ status: "problem" });
        expect(checks(r.stdout)["container-toolkit"].detail).toContain("apt-get install nvidia-container-toolkit");
        expect(node.calls().filter((c) => c.startsWith("apt-get"))).toEqual([]);
    });

    it("with PREPARE=1 installs the toolkit with apt on Ubuntu when an apt source offers it", () => {
        const node = gpuNode();
        stub(node, "apt-cache", `echo "nvidia-container-toolkit:"; echo "  Installed: (none)"; echo "  Candidate: 1.17.8-1"`);
        const runtime = path.join(node.root, "usr/local/bin/nvidia-container-runtime");
        stub(node, "apt-get", `echo "apt-get $*" >>"$STUB_LOG"; printf '#!/bin/sh\\nexit 0\\n' >"${runtime}"; chmod +x "${runtime}"`);
        const r = node.run("gpu-check.sh", { MODE: "preflight", PREPARE: "1" });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(checks(r.stdout)["container-toolkit"].status).toBe("fixed");
        expect(node.calls()).toContain("apt-get install -y --no-install-recommends nvidia-container-toolkit");
    });

    it("with PREPARE=1 adds no package source: without an apt candidate it only reports", () => {
        const node = gpuNode();
        stub(node, "apt-cache", `echo "nvidia-container-toolkit:"; echo "  Candidate: (none)"`);
        stub(node, "apt-get", `echo "apt-get $*" >>"$STUB_LOG"`);
        const r = node.run("gpu-check.sh", { MODE: "preflight", PREPARE: "1" });
        expect(r.status).toBe(1);
        expect(checks(r.stdout)["container-toolkit"].detail).toContain("no apt source offers nvidia-container-toolkit");
        expect(node.calls().filter((c) => c.startsWith("apt-get"))).toEqual([]);
    });

    it("with PREPARE=1 does not touch a non-Debian system", () => {
        const node = gpuNode({ os: "fedora" });
        const r = node.run("gpu-check.sh", { MODE: "preflight", PREPARE: "1" });
        expect(r.status).toBe(1);
        expect(checks(r.stdout)["container-toolkit"].detail).toContain("fedora is not Ubuntu/Debian");
    });
});

describe("gpu-check.sh after k3s", () => {
    const CONFIG = "agent/etc/containerd/config.toml";
    const WITH_NVIDIA = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."nvidia"]\n  runtime_type = "io.containerd.runc.v2"\n`;

    it("passes when k3s registered the nvidia runtime in its containerd config", () => {
        const node = gpuNode({ toolkit: true });
        node.write(`var/lib/rancher/k3s/${CONFIG}`, `version = 2\n${WITH_NVIDIA}`);
        const r = node.run("gpu-check.sh", { MODE: "runtime" });
        expect(r.status, r.stdout).toBe(0);
        expect(checks(r.stdout)["nvidia-runtime"].status).toBe("ok");
    });

    it("fails when the runtime is missing, naming the file and the fix", () => {
        const node = gpuNode({ toolkit: true });
        node.write(`var/lib/rancher/k3s/${CONFIG}`, "version = 2\n");
        const r = node.run("gpu-check.sh", { MODE: "runtime" });
        expect(r.status).toBe(1);
        expect(checks(r.stdout)["nvidia-runtime"].detail).toContain("did not register the nvidia runtime");
        expect(checks(r.stdout)["nvidia-runtime"].detail).toContain("install nvidia-container-toolkit");
    });

    it("reads the containerd config from the node's data directory when it has one", () => {
        const node = gpuNode({ toolkit: true });
        const dataDir = path.join(node.root, "mnt/ssd");
        node.write(`mnt/ssd/k3s/${CONFIG}`, WITH_NVIDIA);
        const r = node.run("gpu-check.sh", { MODE: "runtime", DATA_DIR: dataDir });
        expect(r.status, r.stdout).toBe(0);
    });
});

import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { parsePreflightReport } from "../../components/cluster/install/preflightReport";
import { Sandbox } from "./sandbox";

const SWAPS_ON = "Filename\tType\tSize\tUsed\tPriority\n/var/swap file\t102396\t0\t-2\n";
const SWAPS_OFF = "Filename\tType\tSize\tUsed\tPriority\n";
const CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=abc rootfstype=ext4 fsck.repair=yes rootwait\n";

/** A Pi OS bookworm node as it comes from the imager: swap on, no memory cgroup. */
function freshPi(): Sandbox {
    const node = new Sandbox();
    node.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n");
    node.write("proc/swaps", SWAPS_ON);
    node.write("boot/firmware/cmdline.txt", CMDLINE);
    node.write("etc/fstab", "proc /proc proc defaults 0 0\n/swapfile none swap sw 0 0\n");
    node.write("etc/hostname", "pi-1\n");
    node.write("etc/machine-id", "0123456789abcdef\n");
    node.write("proc/sys/kernel/random/boot_id", "boot-1\n");
    return node;
}

function healthyPi(): Sandbox {
    const node = freshPi();
    node.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    node.write("proc/swaps", SWAPS_OFF);
    return node;
}

const base = { DECLARED_ARCH: "arm64", ROLE: "agent", MIN_FREE_DISK_MIB: "1", STUB_UNAME_M: "aarch64" };

describe("preflight.sh on a node", () => {
    it("passes a healthy Pi and reports its identity", () => {
        const node = healthyPi();
        const r = node.run("preflight.sh", base);
        expect(r.status, r.stderr).toBe(0);
        const report = parsePreflightReport(r.stdout);
        expect(report.checks.filter((c) => c.status !== "ok")).toEqual([]);
        expect(report.checks.map((c) => c.name).sort()).toEqual(["arch", "clock", "disk", "firewall", "memory-cgroup", "sudo", "swap"]);
        expect(report.facts).toMatchObject({ hostname: "pi-1", "machine-id": "0123456789abcdef", "boot-id": "boot-1" });
        expect(report.rebootScheduled).toBe(false);
    });

    it("reports every problem of a fresh Pi in one run, and fails", () => {
        const node = freshPi();
        const r = node.run("preflight.sh", {
            ...base,
            DECLARED_ARCH: "amd64",
            STUB_NTP_SYNCED: "no",
            STUB_UFW: "active",
            MIN_FREE_DISK_MIB: String(100 * 1024 * 1024 * 1024),
        });
        expect(r.status).toBe(1);
        const problems = parsePreflightReport(r.stdout).checks.filter((c) => c.status === "problem");
        expect(problems.map((p) => p.name).sort()).toEqual(["arch", "clock", "disk", "firewall", "memory-cgroup", "swap"]);
        expect(problems.find((p) => p.name === "memory-cgroup")?.detail).toContain("/boot/firmware/cmdline.txt");
        expect(problems.find((p) => p.name === "arch")?.detail).toContain("declared arch amd64 but uname -m says aarch64");
        // Check mode changes nothing.
        expect(node.read("boot/firmware/cmdline.txt")).toBe(CMDLINE);
        expect(node.calls()).toEqual([]);
    });

    it("reports missing passwordless sudo, for root too: every later step runs through sudo -n", () => {
        const r = healthyPi().run("preflight.sh", { ...base, STUB_SUDO: "denied" });
        expect(parsePreflightReport(r.stdout).checks.find((c) => c.name === "sudo")?.status).toBe("problem");
    });

    it("trusts the pod and service networks in ufw and opens 51820/udp for wireguard-native", () => {
        const node = healthyPi();
        const r = node.run("preflight.sh", { ...base, PREPARE: "1", STUB_UFW: "active", FLANNEL_BACKEND: "wireguard-native", CLUSTER_CIDR: "10.52.0.0/16", SERVICE_CIDR: "10.53.0.0/16" });
        expect(parsePreflightReport(r.stdout).checks.find((c) => c.name === "firewall")?.status).toBe("fixed");
        expect(node.calls()).toEqual(expect.arrayContaining(["ufw allow 51820/udp", "ufw allow from 10.52.0.0/16 to any", "ufw allow from 10.53.0.0/16 to any"]));
        expect(node.calls()).not.toContain("ufw allow 8472/udp");
    });

    it("checks for curl only when the installer is downloaded on the node", () => {
        const without = parsePreflightReport(healthyPi().run("preflight.sh", base).stdout);
        expect(without.checks.find((c) => c.name === "curl")).toBeUndefined();
        const withCurl = parsePreflightReport(healthyPi().run("preflight.sh", { ...base, NEEDS_CURL: "1" }).stdout);
        // The sandbox's PATH has the curl stub.
        expect(withCurl.checks.find((c) => c.name === "curl")?.status).toBe("ok");
    });

    it("with PREPARE=1 adds the cgroup flags, turns swap off for good, opens the firewall and schedules a reboot", () => {
        const node = freshPi();
        const r = node.run("preflight.sh", { ...base, ROLE: "server", PREPARE: "1", STUB_UFW: "active" });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const report = parsePreflightReport(r.stdout);
        expect(report.checks.filter((c) => c.status === "fixed").map((c) => c.name).sort()).toEqual(["firewall", "memory-cgroup", "swap"]);
        expect(report.rebootScheduled).toBe(true);
        const cmdline = node.read("boot/firmware/cmdline.txt");
        expect(cmdline.split("\n").filter(Boolean)).toHaveLength(1);
        expect(cmdline).toMatch(/rootwait cgroup_memory=1 cgroup_enable=memory\n$/);
        expect(node.read("etc/fstab")).toContain("# disabled by picluster: /swapfile none swap sw 0 0");
        expect(node.calls()).toEqual(
            expect.arrayContaining(["swapoff -a", "ufw allow 10250/tcp", "ufw allow 8472/udp", "ufw allow 6443/tcp", expect.stringMatching(/^systemd-run --on-active=5/)]),
        );
    });

    it("changes nothing on a second prepare run after the reboot", () => {
        const node = freshPi();
        node.run("preflight.sh", { ...base, PREPARE: "1" });
        // The reboot: the kernel now has the memory cgroup.
        node.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
        const cmdline = node.read("boot/firmware/cmdline.txt");
        const fstab = node.read("etc/fstab");
        const callsBefore = node.calls().length;
        const r = node.run("preflight.sh", { ...base, PREPARE: "1" });
        expect(r.status).toBe(0);
        expect(parsePreflightReport(r.stdout).checks.every((c) => c.status === "ok")).toBe(true);
        expect(node.read("boot/firmware/cmdline.txt")).toBe(cmdline);
        expect(node.read("etc/fstab")).toBe(fstab);
        expect(node.calls().length).toBe(callsBefore);
    });

    it("refuses a dataDir that is not a mounted filesystem, and accepts a mount point", () => {
        const node = healthyPi();
        const plainDir = node.write("mnt/ssd/.keep", "").replace(/\/\.keep$/, "");
        const bad = node.run("preflight.sh", { ...base, DATA_DIR: plainDir });
        expect(bad.status).toBe(1);
        expect(bad.stdout).toMatch(/check data-dir problem .* is not a mount point/);
        const good = node.run("preflight.sh", { ...base, DATA_DIR: "/proc" });
        expect(good.stdout).toMatch(/check data-dir ok \/proc is a mount point/);
    });
});

/** Writes an executable stub below the node's /usr/local/bin (first on the sandbox PATH after the shared stubs). */
function stub(node: Sandbox, name: string, body: string): void {
    const file = node.write(`usr/local/bin/${name}`, `#!/usr/bin/env bash\n${body}\n`);
    fs.chmodSync(file, 0o755);
}

/** Installs an executable (a node's /usr/sbin tool) into the fixture root. */
function tool(node: Sandbox, rel: string): void {
    fs.chmodSync(node.write(rel, "#!/bin/sh\nexit 0\n"), 0o755);
}

/**
 * apt-get that records its calls and "installs" each package's tool into the
 * fixture root, as the real packages would (open-iscsi: /usr/sbin/iscsiadm,
 * nfs-common: /usr/sbin/mount.nfs). modprobe "loads" a module the same way.
 */
function debianStubs(node: Sandbox): void {
    const root = node.root;
    stub(node, "apt-get", [
        `echo "apt-get $*" >>"$STUB_LOG"`,
        `for a in "$@"; do case "$a" in open-iscsi) mkdir -p "${root}/usr/sbin"; printf '#!/bin/sh\\n' >"${root}/usr/sbin/iscsiadm"; chmod +x "${root}/usr/sbin/iscsiadm" ;;`,
        `nfs-common) mkdir -p "${root}/usr/sbin"; printf '#!/bin/sh\\n' >"${root}/usr/sbin/mount.nfs"; chmod +x "${root}/usr/sbin/mount.nfs" ;; esac; done`,
    ].join("\n"));
    stub(node, "modprobe", `echo "modprobe $*" >>"$STUB_LOG"; mkdir -p "${root}/sys/module/$1"`);
}

describe("preflight.sh with Longhorn chosen (LONGHORN=1)", () => {
    const longhorn = { ...base, LONGHORN: "1", NODE_NAME: "pi-2" };
    const problemsOf = (stdout: string) => parsePreflightReport(stdout).checks.filter((c) => c.status === "problem");

    it("checks nothing of Longhorn's when another storage is chosen", () => {
        const report = parsePreflightReport(healthyPi().run("preflight.sh", base).stdout);
        expect(report.checks.map((c) => c.name)).not.toEqual(expect.arrayContaining(["iscsi"]));
        expect(report.checks.some((c) => ["iscsi", "iscsi-module", "nfs"].includes(c.name))).toBe(false);
    });

    it("fails a node without open-iscsi, the iscsi_tcp module and nfs-common, naming the node and each fix", () => {
        const node = healthyPi();
        debianStubs(node);
        const r = node.run("preflight.sh", longhorn);
        expect(r.status).toBe(1);
        const problems = problemsOf(r.stdout);
        expect(problems.map((p) => p.name).sort()).toEqual(["iscsi", "iscsi-module", "nfs"]);
        const detail = Object.fromEntries(problems.map((p) => [p.name, p.detail]));
        expect(detail.iscsi).toMatch(/^node pi-2: iscsiadm not found; .*'sudo apt-get install open-iscsi' \(Debian, Ubuntu, Raspberry Pi OS\).*cluster\.prepare: true/);
        expect(detail["iscsi-module"]).toMatch(/^node pi-2: kernel module iscsi_tcp is not loaded; .*'sudo modprobe iscsi_tcp'/);
        expect(detail.nfs).toMatch(/^node pi-2: mount\.nfs not found; .*ReadWriteMany.*'sudo apt-get install nfs-common'/);
        // Check mode installs nothing.
        expect(node.calls().filter((c) => c.startsWith("apt-get") || c.startsWith("modprobe"))).toEqual([]);
    });

    it("passes a node that has them, finding iscsiadm in /usr/sbin although it is not on a user's PATH", () => {
        const node = healthyPi();
        tool(node, "usr/sbin/iscsiadm");
        tool(node, "sbin/mount.nfs");
        node.write("sys/module/iscsi_tcp/refcnt", "0\n");
        const r = node.run("preflight.sh", longhorn);
        expect(r.status, r.stdout).toBe(0);
        const checks = parsePreflightReport(r.stdout).checks.filter((c) => ["iscsi", "iscsi-module", "nfs"].includes(c.name));
        expect(checks.map((c) => `${c.name} ${c.status}`).sort()).toEqual(["iscsi ok", "iscsi-module ok", "nfs ok"]);
    });

    // Raspberry Pi OS bookworm says ID=debian; bullseye and older ID=raspbian.
    it.each(["debian", "ubuntu", "raspbian"])("with PREPARE=1 on %s installs open-iscsi and nfs-common, enables iscsid and loads iscsi_tcp at boot", (os) => {
        const node = healthyPi();
        node.write("etc/os-release", `PRETTY_NAME="test"\nID=${os}\n`);
        debianStubs(node);
        const r = node.run("preflight.sh", { ...longhorn, PREPARE: "1" });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const fixed = parsePreflightReport(r.stdout).checks.filter((c) => c.status === "fixed").map((c) => c.name).sort();
        expect(fixed).toEqual(["iscsi", "iscsi-module", "nfs"]);
        expect(node.calls()).toEqual(
            expect.arrayContaining(["apt-get update -qq", "apt-get install -y --no-install-recommends open-iscsi nfs-common", "systemctl enable --now iscsid", "modprobe iscsi_tcp"]),
        );
        expect(node.read("etc/modules-load.d/picluster-longhorn.conf")).toBe("iscsi_tcp\n");
        expect(node.exists("usr/sbin/iscsiadm") && node.exists("usr/sbin/mount.nfs")).toBe(true);
    });

    it("recognises a Debian derivative by ID_LIKE and installs only what is missing", () => {
        const node = healthyPi();
        node.write("etc/os-release", `ID=linuxmint\nID_LIKE="ubuntu debian"\n`);
        debianStubs(node);
        tool(node, "usr/sbin/mount.nfs");
        node.write("sys/module/iscsi_tcp/refcnt", "0\n");
        const r = node.run("preflight.sh", { ...longhorn, PREPARE: "1" });
        expect(r.status, r.stdout).toBe(0);
        // Only the missing package is installed.
        expect(node.calls()).toContain("apt-get install -y --no-install-recommends open-iscsi");
    });

    it("with PREPARE=1 on a distribution without apt only reports, with the fix", () => {
        const node = healthyPi();
        node.write("etc/os-release", "ID=fedora\n");
        debianStubs(node);
        const r = node.run("preflight.sh", { ...longhorn, PREPARE: "1" });
        expect(r.status).toBe(1);
        expect(problemsOf(r.stdout).map((p) => p.name).sort()).toEqual(["iscsi", "nfs"]);
        expect(node.calls().filter((c) => c.startsWith("apt-get"))).toEqual([]);
    });

    it("changes nothing on a second prepare run", () => {
        const node = healthyPi();
        node.write("etc/os-release", "ID=debian\n");
        debianStubs(node);
        node.run("preflight.sh", { ...longhorn, PREPARE: "1" });
        const before = node.calls().length;
        const r = node.run("preflight.sh", { ...longhorn, PREPARE: "1" });
        expect(r.status).toBe(0);
        expect(parsePreflightReport(r.stdout).checks.every((c) => c.status === "ok")).toBe(true);
        expect(node.calls().length).toBe(before);
    });
});

#!/usr/bin/env bash
# Pre-flight for one picluster node: checks everything k3s needs and, with
# PREPARE=1, fixes what it safely can (memory cgroup flags, swap, firewall
# ports) and schedules a reboot when a fix needs one.
#
# It runs every check before deciding, prints a report, one line each,
#   check <name> ok|problem|fixed <detail>
#   fact <name> <value>
#   reboot scheduled
# and exits 1 when any problem remains, so the node's command fails (and is
# retried on the next `up`) with all of the node's problems listed. Facts
# (hostname, machine-id) are compared across nodes by the program.
#
# Inputs (environment): DECLARED_ARCH (amd64|arm64), ROLE (server|agent),
# PREPARE (0|1), MIN_FREE_DISK_MIB, DATA_DIR (optional), HA (0|1),
# CLUSTER_CIDR, SERVICE_CIDR, FLANNEL_BACKEND (firewall rules),
# NEEDS_CURL (0|1: the installer is downloaded on the node),
# LONGHORN (0|1: Longhorn's prerequisites; with PREPARE=1 installed on
# Debian, Ubuntu and Raspberry Pi OS), NODE_NAME (named in its messages).
# PICLUSTER_ROOT prefixes every file path, for tests against fixture trees.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
DECLARED_ARCH="${DECLARED_ARCH:?DECLARED_ARCH is required}"
ROLE="${ROLE:-agent}"
PREPARE="${PREPARE:-0}"
MIN_FREE_DISK_MIB="${MIN_FREE_DISK_MIB:-4096}"
DATA_DIR="${DATA_DIR:-}"
HA="${HA:-0}"
CLUSTER_CIDR="${CLUSTER_CIDR:-10.42.0.0/16}"
SERVICE_CIDR="${SERVICE_CIDR:-10.43.0.0/16}"
FLANNEL_BACKEND="${FLANNEL_BACKEND:-vxlan}"
NEEDS_CURL="${NEEDS_CURL:-0}"
LONGHORN="${LONGHORN:-0}"
NODE_NAME="${NODE_NAME:-$(cat "$ROOT/etc/hostname" 2>/dev/null || hostname)}"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
reboot_needed=0
problems=0

report() {
    printf 'check %s %s %s\n' "$1" "$2" "$3"
    if [ "$2" = problem ]; then problems=$((problems + 1)); fi
}
fact() { printf 'fact %s %s\n' "$1" "$2"; }

# --- passwordless sudo: every later step runs `sudo -n`, root included ------
if ! command -v sudo >/dev/null 2>&1; then
    report sudo problem "sudo is not installed; every install step runs through 'sudo -n' (also as root): install sudo"
    if [ "$(id -u)" -ne 0 ]; then SUDO=(false); fi
elif sudo -n true 2>/dev/null; then
    report sudo ok "passwordless sudo"
else
    report sudo problem "user $(id -un) needs passwordless sudo (add '$(id -un) ALL=(ALL) NOPASSWD:ALL' to /etc/sudoers.d/picluster)"
    SUDO=(false)
fi

# --- architecture ---------------------------------------------------------
machine="$(uname -m)"
case "$machine" in
    x86_64 | amd64) actual=amd64 ;;
    aarch64 | arm64) actual=arm64 ;;
    *) actual="$machine" ;;
esac
if [ "$actual" = "$DECLARED_ARCH" ]; then
    report arch ok "$machine"
else
    report arch problem "declared arch $DECLARED_ARCH but uname -m says $machine; fix the node's arch in config"
fi

# --- memory cgroup --------------------------------------------------------
memory_cgroup_enabled() {
    local controllers="$ROOT/sys/fs/cgroup/cgroup.controllers"
    if [ -r "$controllers" ]; then
        grep -qw memory "$controllers"
    else
        awk '$1 == "memory" && $4 == 1 { found = 1 } END { exit !found }' "$ROOT/proc/cgroups" 2>/dev/null
    fi
}
cmdline_file() {
    local f
    for f in "$ROOT/boot/firmware/cmdline.txt" "$ROOT/boot/cmdline.txt"; do
        if [ -f "$f" ]; then
            printf '%s\n' "$f"
            return 0
        fi
    done
    return 1
}
if memory_cgroup_enabled; then
    report memory-cgroup ok "enabled"
elif cmdline="$(cmdline_file)"; then
    if grep -qw 'cgroup_enable=memory' "$cmdline"; then
        report memory-cgroup problem "cgroup flags are in $cmdline but the node has not rebooted since; reboot it"
    elif [ "$PREPARE" = 1 ]; then
        # cmdline.txt must stay a single line: append to it in place.
        "${SUDO[@]}" sed -i '1 s/$/ cgroup_memory=1 cgroup_enable=memory/' "$cmdline"
        report memory-cgroup fixed "added cgroup_memory=1 cgroup_enable=memory to $cmdline (reboot)"
        reboot_needed=1
    else
        report memory-cgroup problem "memory cgroup disabled; add 'cgroup_memory=1 cgroup_enable=memory' to $cmdline and reboot, or set cluster.prepare: true"
    fi
else
    report memory-cgroup problem "memory cgroup disabled and no cmdline.txt found; enable the memory cgroup in the boot loader"
fi

# --- swap -----------------------------------------------------------------
active_swap() { awk 'NR > 1 { print $1 }' "$ROOT/proc/swaps" 2>/dev/null; }
if [ -z "$(active_swap)" ]; then
    report swap ok "off"
elif [ "$PREPARE" = 1 ]; then
    "${SUDO[@]}" swapoff -a
    if command -v dphys-swapfile >/dev/null 2>&1; then
        "${SUDO[@]}" dphys-swapfile swapoff || true
        "${SUDO[@]}" systemctl disable --now dphys-swapfile >/dev/null 2>&1 || true
    fi
    if [ -f "$ROOT/etc/fstab" ] && grep -qE '^[^#].*[[:space:]]swap[[:space:]]' "$ROOT/etc/fstab"; then
        "${SUDO[@]}" sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# disabled by picluster: \1/' "$ROOT/etc/fstab"
    fi
    report swap fixed "turned swap off and disabled it at boot"
else
    report swap problem "swap is on ($(active_swap | tr '\n' ' ')); turn it off (swapoff -a, disable dphys-swapfile) or set cluster.prepare: true"
fi

# --- disk -----------------------------------------------------------------
disk_path="${DATA_DIR:-$ROOT/var/lib}"
[ -d "$disk_path" ] || disk_path="$ROOT/"
free_mib="$(df -Pm "$disk_path" | awk 'NR == 2 { print $4 }')"
if [ "${free_mib:-0}" -ge "$MIN_FREE_DISK_MIB" ]; then
    report disk ok "${free_mib} MiB free on $disk_path"
else
    report disk problem "only ${free_mib:-0} MiB free on $disk_path, need $MIN_FREE_DISK_MIB; free space or lower cluster.preflight.minFreeDiskMiB"
fi

# --- data directory: must be a mounted filesystem, not the SD card's root -
if [ -n "$DATA_DIR" ]; then
    if [ ! -d "$DATA_DIR" ]; then
        report data-dir problem "$DATA_DIR does not exist; mount the disk there or remove dataDir"
    elif command -v mountpoint >/dev/null 2>&1 && mountpoint -q "$DATA_DIR"; then
        report data-dir ok "$DATA_DIR is a mount point"
    else
        report data-dir problem "$DATA_DIR is not a mount point; k3s data would land on the root filesystem (SD card). Mount the disk there (fstab) first"
    fi
fi

# --- clock ----------------------------------------------------------------
# TLS certificates and etcd need synchronised clocks.
if command -v timedatectl >/dev/null 2>&1; then
    synced="$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown)"
    if [ "$synced" = yes ]; then
        report clock ok "NTP synchronised"
    else
        report clock problem "clock not NTP-synchronised ($synced); enable systemd-timesyncd or chrony"
    fi
else
    report clock problem "cannot tell whether the clock is synchronised (no timedatectl); install systemd-timesyncd or chrony"
fi

# --- curl: the k3s installer downloads with it ---------------------------------
if [ "$NEEDS_CURL" = 1 ]; then
    if command -v curl >/dev/null 2>&1; then
        report curl ok "$(command -v curl)"
    else
        report curl problem "curl is missing and the k3s installer is downloaded on the node; install curl, or use cluster.artifacts"
    fi
fi

# --- Longhorn: iSCSI attaches its volumes, NFS mounts its RWX volumes ----------
# Looked up in the sbin/bin directories, not PATH: a non-root login on
# Debian has no /usr/sbin on its PATH, where iscsiadm and mount.nfs live.
have_tool() {
    local d
    for d in usr/sbin sbin usr/bin bin usr/local/sbin usr/local/bin; do
        if [ -x "$ROOT/$d/$1" ]; then return 0; fi
    done
    return 1
}
os_family() {
    awk -F= '$1 == "ID" || $1 == "ID_LIKE" { gsub(/"/, "", $2); print $2 }' "$ROOT/etc/os-release" 2>/dev/null | tr ' ' '\n' |
        grep -qxE 'debian|ubuntu|raspbian' && echo debian || echo other
}
if [ "$LONGHORN" = 1 ]; then
    packages=()
    if ! have_tool iscsiadm; then packages+=(open-iscsi); fi
    if ! have_tool mount.nfs; then packages+=(nfs-common); fi
    installed=""
    if [ "${#packages[@]}" -gt 0 ] && [ "$PREPARE" = 1 ] && [ "$(os_family)" = debian ]; then
        if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
            "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; then
            installed=" ${packages[*]} "
        fi
    fi
    how="install it with 'sudo apt-get install PKG' (Debian, Ubuntu, Raspberry Pi OS) or your distribution's package manager, or set cluster.prepare: true"
    if ! have_tool iscsiadm; then
        report iscsi problem "node $NODE_NAME: iscsiadm not found; Longhorn attaches every volume over iSCSI: ${how//PKG/open-iscsi}"
    elif [[ "$installed" == *" open-iscsi "* ]]; then
        "${SUDO[@]}" systemctl enable --now iscsid >/dev/null 2>&1 || true
        report iscsi fixed "installed open-iscsi with apt and enabled iscsid"
    else
        report iscsi ok "iscsiadm present"
    fi
    if [ -d "$ROOT/sys/module/iscsi_tcp" ]; then
        report iscsi-module ok "iscsi_tcp loaded"
    elif [ "$PREPARE" = 1 ] && "${SUDO[@]}" modprobe iscsi_tcp 2>/dev/null; then
        "${SUDO[@]}" mkdir -p "$ROOT/etc/modules-load.d"
        printf 'iscsi_tcp\n' | "${SUDO[@]}" tee "$ROOT/etc/modules-load.d/picluster-longhorn.conf" >/dev/null
        report iscsi-module fixed "loaded iscsi_tcp and listed it in /etc/modules-load.d/picluster-longhorn.conf"
    else
        report iscsi-module problem "node $NODE_NAME: kernel module iscsi_tcp is not loaded; Longhorn needs it for iSCSI: run 'sudo modprobe iscsi_tcp' and add iscsi_tcp to /etc/modules-load.d/, or set cluster.prepare: true"
    fi
    if ! have_tool mount.nfs; then
        report nfs problem "node $NODE_NAME: mount.nfs not found; Longhorn mounts ReadWriteMany volumes over NFS: ${how//PKG/nfs-common}"
    elif [[ "$installed" == *" nfs-common "* ]]; then
        report nfs fixed "installed nfs-common with apt"
    else
        report nfs ok "mount.nfs present"
    fi
fi

# --- firewall ---------------------------------------------------------------
# What the k3s docs require between nodes: the ports, and the pod and
# service networks as trusted sources.
ports=("10250/tcp")
case "$FLANNEL_BACKEND" in
    vxlan) ports+=("8472/udp") ;;
    wireguard-native) ports+=("51820/udp") ;;
esac
if [ "$ROLE" = server ]; then ports+=("6443/tcp"); fi
if [ "$ROLE" = server ] && [ "$HA" = 1 ]; then ports+=("2379:2380/tcp"); fi
sources=("$CLUSTER_CIDR" "$SERVICE_CIDR")
if command -v ufw >/dev/null 2>&1 && "${SUDO[@]}" ufw status 2>/dev/null | grep -q '^Status: active'; then
    if [ "$PREPARE" = 1 ]; then
        for p in "${ports[@]}"; do "${SUDO[@]}" ufw allow "$p" >/dev/null; done
        for s in "${sources[@]}"; do "${SUDO[@]}" ufw allow from "$s" to any >/dev/null; done
        report firewall fixed "ufw: allowed ${ports[*]} and traffic from ${sources[*]}"
    else
        report firewall problem "ufw is active; allow ${ports[*]} (ufw allow PORT) and traffic from ${sources[*]} (ufw allow from CIDR to any), or set cluster.prepare: true"
    fi
elif command -v firewall-cmd >/dev/null 2>&1 && "${SUDO[@]}" firewall-cmd --state >/dev/null 2>&1; then
    if [ "$PREPARE" = 1 ]; then
        for p in "${ports[@]}"; do "${SUDO[@]}" firewall-cmd --permanent --add-port="${p/:/-}" >/dev/null; done
        for s in "${sources[@]}"; do "${SUDO[@]}" firewall-cmd --permanent --zone=trusted --add-source="$s" >/dev/null; done
        "${SUDO[@]}" firewall-cmd --reload >/dev/null
        report firewall fixed "firewalld: opened ${ports[*]}, trusted ${sources[*]}"
    else
        report firewall problem "firewalld is active; open ${ports[*]} and add ${sources[*]} to the trusted zone, or set cluster.prepare: true"
    fi
else
    report firewall ok "no active host firewall"
fi

# --- identity: compared across nodes by the program --------------------------
fact hostname "$(cat "$ROOT/etc/hostname" 2>/dev/null || hostname)"
fact machine-id "$(cat "$ROOT/etc/machine-id" 2>/dev/null || echo missing)"
fact boot-id "$(cat "$ROOT/proc/sys/kernel/random/boot_id" 2>/dev/null || echo unknown)"

if [ "$reboot_needed" = 1 ]; then
    # Detached and delayed so this SSH session ends cleanly first.
    "${SUDO[@]}" systemd-run --on-active=5 --unit=picluster-reboot systemctl reboot >/dev/null 2>&1 ||
        "${SUDO[@]}" shutdown -r +1 >/dev/null 2>&1
    echo "reboot scheduled"
fi

if [ "$problems" -gt 0 ]; then
    echo "$problems problem(s) on this node" >&2
    exit 1
fi

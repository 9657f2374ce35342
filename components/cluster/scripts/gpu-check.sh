#!/usr/bin/env bash
# GPU checks for a node declared `gpu: true`, in preflight.sh's report format
#   check <name> ok|problem|fixed <detail>
#   fact <name> <value>
# exiting 1 when a problem remains; each problem says what to install.
#
#   MODE=preflight  before k3s: the NVIDIA driver (nvidia-smi answers, with
#                   its version) and the container toolkit
#                   (nvidia-container-runtime). With PREPARE=1 the toolkit is
#                   installed with apt on Ubuntu/Debian when the configured apt
#                   sources offer it (picluster adds no package sources).
#   MODE=runtime    after k3s: k3s found the toolkit and registered the
#                   `nvidia` runtime in its containerd config.
#
# Inputs (environment): MODE, PREPARE (0|1), DATA_DIR (the node's dataDir,
# optional). PICLUSTER_ROOT prefixes every file path, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:-preflight}"
PREPARE="${PREPARE:-0}"
DATA_DIR="${DATA_DIR:-}"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
problems=0

report() {
    printf 'check %s %s %s\n' "$1" "$2" "$3"
    if [ "$2" = problem ]; then problems=$((problems + 1)); fi
}
fact() { printf 'fact %s %s\n' "$1" "$2"; }

os_id() { awk -F= '$1 == "ID" { gsub(/"/, "", $2); print $2 }' "$ROOT/etc/os-release" 2>/dev/null || true; }

# The toolkit package is installable from the node's own apt sources.
toolkit_available() {
    command -v apt-cache >/dev/null 2>&1 || return 1
    apt-cache policy nvidia-container-toolkit 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { found = 1 } END { exit !found }'
}

check_driver() {
    local answer
    if answer="$(nvidia-smi --query-gpu=driver_version,name --format=csv,noheader 2>/dev/null)" && [ -n "$answer" ]; then
        report nvidia-driver ok "driver $(printf '%s\n' "$answer" | head -n 1 | tr -s ' ')"
        fact gpus "$(printf '%s\n' "$answer" | grep -c .)"
    else
        report nvidia-driver problem "nvidia-smi does not answer; install the NVIDIA driver (Ubuntu: 'ubuntu-drivers install'; Debian: 'apt-get install nvidia-driver' from non-free) and reboot"
    fi
}

check_toolkit() {
    local hint="install the NVIDIA container toolkit: add NVIDIA's apt repository (https://nvidia.github.io/libnvidia-container) and 'apt-get install nvidia-container-toolkit'"
    if command -v nvidia-container-runtime >/dev/null 2>&1; then
        report container-toolkit ok "$(command -v nvidia-container-runtime)"
        return
    fi
    local os
    os="$(os_id)"
    if [ "$PREPARE" != 1 ]; then
        report container-toolkit problem "nvidia-container-runtime not found; $hint, or set cluster.prepare: true"
    elif [ "$os" != ubuntu ] && [ "$os" != debian ]; then
        report container-toolkit problem "nvidia-container-runtime not found and ${os:-this OS} is not Ubuntu/Debian; $hint"
    elif ! toolkit_available; then
        report container-toolkit problem "nvidia-container-runtime not found and no apt source offers nvidia-container-toolkit; $hint"
    elif "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nvidia-container-toolkit >/dev/null &&
        command -v nvidia-container-runtime >/dev/null 2>&1; then
        report container-toolkit fixed "installed nvidia-container-toolkit with apt"
    else
        report container-toolkit problem "apt-get install nvidia-container-toolkit failed; $hint"
    fi
}

check_runtime() {
    local data="${DATA_DIR:+$DATA_DIR/k3s}"
    local config="${data:-$ROOT/var/lib/rancher/k3s}/agent/etc/containerd/config.toml"
    if [ ! -f "$config" ]; then
        report nvidia-runtime problem "$config not found; is k3s running on this node?"
    elif grep -Eq "runtimes[.](\"nvidia\"|'nvidia'|nvidia)[]]" "$config"; then
        report nvidia-runtime ok "k3s registered the nvidia runtime in $config"
    else
        report nvidia-runtime problem "k3s did not register the nvidia runtime in $config; install nvidia-container-toolkit (nvidia-container-runtime on PATH) and restart k3s"
    fi
}

case "$MODE" in
    preflight)
        check_driver
        check_toolkit
        ;;
    runtime)
        check_runtime
        ;;
    *)
        echo "unknown MODE '$MODE' (preflight|runtime)" >&2
        exit 2
        ;;
esac

if [ "$problems" -gt 0 ]; then
    echo "$problems GPU problem(s) on this node" >&2
    exit 1
fi

#!/usr/bin/env bash
# Reports what this node runs, as one line of JSON. Read-only: it changes no
# file, service or setting, and prints hashes, never a file's content (the
# config holds the join token). Runs as root (config.yaml is 0600).
#
#   {"version":"v1.33.5+k3s1","service":"k3s-agent","active":true,"ready":"True",
#    "configSha256":"…","registriesSha256":"","machineId":"…"}
#
# An empty string means "absent" (k3s not installed, no such file) or, for
# `ready` (the Node object's Ready condition, asked of the API server with the
# node's own credentials), "could not tell".
# Inputs (environment): ROLE (server|agent), NODE_NAME. PICLUSTER_ROOT
# prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# Not installed (yet): the bare name, which the caller checks for.
K3S=$(k3s_path) || K3S=k3s
# Found by absolute path, or else on PATH: a k3s only in /opt/bin (or beyond
# sudo's secure_path) is still installed.
have_k3s() { [ "$K3S" != k3s ] || command -v k3s >/dev/null 2>&1; }
ROLE="${ROLE:?ROLE is required (server|agent)}"
if [ "$ROLE" = server ]; then SERVICE=k3s; else SERVICE=k3s-agent; fi

version() {
    have_k3s || return 0
    { "$K3S" --version 2>/dev/null || true; } | awk 'NR == 1 { print $3 }'
}

sha_of() {
    [ -f "$1" ] || return 0
    sha256sum "$1" | awk '{ print $1 }'
}

# Only [A-Za-z0-9.+_-] survive, so the values need no JSON escaping.
clean() { tr -cd 'A-Za-z0-9.+_-'; }

# shellcheck source=components/cluster/scripts/lib/ready-condition.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/ready-condition.sh" # picluster:include
# The Node's Ready condition, when there is a node name and a k3s to ask with.
node_ready() {
    [ -n "${NODE_NAME:-}" ] && have_k3s || return 0
    ready_condition
}

active=false
if systemctl is-active --quiet "$SERVICE" 2>/dev/null; then active=true; fi
machine_id=""
[ -f "$ROOT/etc/machine-id" ] && machine_id="$(head -c 64 "$ROOT/etc/machine-id" | clean)"

printf '{"version":"%s","service":"%s","active":%s,"ready":"%s","configSha256":"%s","registriesSha256":"%s","machineId":"%s"}\n' \
    "$(version | clean)" "$SERVICE" "$active" "$(node_ready | clean)" \
    "$(sha_of "$ROOT/etc/rancher/k3s/config.yaml")" \
    "$(sha_of "$ROOT/etc/rancher/k3s/registries.yaml")" \
    "$machine_id"

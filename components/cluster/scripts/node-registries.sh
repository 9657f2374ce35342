#!/usr/bin/env bash
# Writes k3s's registries.yaml (mirrors, auth, TLS) and the registry CA files
# it names, then restarts k3s only when one of them changed and waits until
# the node is back (bounded). Runs as root.
#
#   MODE=apply   install the files from stdin (the default)
#   MODE=remove  delete them (cluster.registries was removed)
#
# The files arrive on stdin only (they hold registry passwords), as a bundle:
#   #picluster-file registries.yaml
#   <content>
#   #picluster-file registry-ca/<name>.crt
#   <content>
# Each is written root-owned 0600 under /etc/rancher/k3s; CA files no longer
# in the bundle are deleted. A second run with the same input changes nothing
# and says "unchanged".
#
# Inputs (environment): MODE, ROLE (server|agent), NODE_NAME,
# READY_TIMEOUT (seconds, default 300). PICLUSTER_ROOT prefixes file paths,
# for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:-apply}"
ROLE="${ROLE:?ROLE is required (server|agent)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.5}"
DIR="$ROOT/etc/rancher/k3s"
# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# shellcheck source=components/cluster/scripts/lib/deadline.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deadline.sh" # picluster:include
CA_DIR="$DIR/registry-ca"

if [ "$ROLE" = server ]; then SERVICE="k3s"; else SERVICE="k3s-agent"; fi

log() { printf '[%s] %s\n' "$NODE_NAME" "$*"; }

umask 077
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# Splits the bundle on stdin into $stage; refuses any other file name.
unbundle() {
    local line name="" out=""
    while IFS= read -r line || [ -n "$line" ]; do
        if [[ "$line" == "#picluster-file "* ]]; then
            name="${line#\#picluster-file }"
            if ! [[ "$name" == registries.yaml || "$name" =~ ^registry-ca/[A-Za-z0-9._-]+\.crt$ ]]; then
                log "refusing bundle entry '$name'"
                exit 2
            fi
            out="$stage/$name"
            mkdir -p "$(dirname "$out")"
            : >"$out"
        elif [ -n "$out" ]; then
            printf '%s\n' "$line" >>"$out"
        elif [ -n "$line" ]; then
            log "stdin is not a registries bundle (no #picluster-file header)"
            exit 2
        fi
    done
    [ -f "$stage/registries.yaml" ] || { log "bundle has no registries.yaml"; exit 2; }
}

changed=0
# Installs $stage/<name> as $DIR/<name> (0600, root-owned) unless identical.
install_file() {
    local name="$1" target="$DIR/$1" tmp
    if [ -f "$target" ] && cmp -s "$stage/$name" "$target"; then return 0; fi
    mkdir -p "$(dirname "$target")"
    tmp="$(mktemp "$(dirname "$target")/.picluster.XXXXXX")"
    cat "$stage/$name" >"$tmp"
    chmod 600 "$tmp"
    if [ "$(id -u)" -eq 0 ]; then chown 0:0 "$tmp"; fi
    mv -f "$tmp" "$target"
    changed=1
}

remove_file() {
    if [ -e "$1" ]; then
        rm -f "$1"
        changed=1
    fi
}

wait_ready() {
    local deadline=$((SECONDS + READY_TIMEOUT)) k3s
    if [ "$ROLE" = server ]; then
        k3s=$(require_k3s) || exit 1
        until "$k3s" kubectl get node "$NODE_NAME" >/dev/null 2>&1; do
            [ "$SECONDS" -lt "$deadline" ] || { log "node did not register within ${READY_TIMEOUT}s"; exit 1; }
            sleep "$POLL_INTERVAL"
        done
        "$k3s" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$(seconds_left "$deadline")s" >/dev/null
        log "node Ready"
    else
        until systemctl is-active --quiet "$SERVICE"; do
            [ "$SECONDS" -lt "$deadline" ] || { log "$SERVICE not active within ${READY_TIMEOUT}s"; exit 1; }
            sleep "$POLL_INTERVAL"
        done
        log "$SERVICE active"
    fi
}

# By absolute path: a k3s beyond sudo's secure_path is still installed.
k3s_installed() {
    local k3s
    k3s=$(k3s_path) || return 1
    "$k3s" --version >/dev/null 2>&1
}

case "$MODE" in
    apply)
        unbundle
        install_file registries.yaml
        if [ -d "$stage/registry-ca" ]; then
            for f in "$stage"/registry-ca/*.crt; do install_file "registry-ca/$(basename "$f")"; done
        fi
        if [ -d "$CA_DIR" ]; then
            for f in "$CA_DIR"/*.crt; do
                [ -e "$f" ] || continue
                [ -f "$stage/registry-ca/$(basename "$f")" ] || remove_file "$f"
            done
        fi
        ;;
    remove)
        remove_file "$DIR/registries.yaml"
        if [ -d "$CA_DIR" ]; then
            for f in "$CA_DIR"/*.crt; do
                [ -e "$f" ] || continue
                remove_file "$f"
            done
        fi
        ;;
    *)
        log "unknown MODE '$MODE' (apply|remove)"
        exit 2
        ;;
esac

if [ "$changed" = 0 ]; then
    log "registries unchanged"
elif k3s_installed; then
    log "registries changed; restarting $SERVICE"
    systemctl restart "$SERVICE"
    wait_ready
else
    log "registries written; k3s is not installed yet"
fi

#!/usr/bin/env bash
# Installs, reconfigures or upgrades k3s on this node. Runs as root.
#
#   MODE=install      write the config from stdin, install K3S_VERSION if k3s is absent
#   MODE=reconfigure  write the config from stdin, restart k3s only if it changed
#   MODE=upgrade      re-run the installer for K3S_VERSION if another version runs
#
# The k3s config (it holds the join token) arrives on stdin, never in argv or
# the environment, and is written root-owned 0600. Each mode is idempotent:
# with the same inputs a second run changes nothing and says "unchanged".
#
# Inputs (environment): MODE, ROLE (server|agent), K3S_VERSION, INSTALL_URL
# (http(s):// or file://), NODE_NAME, READY_TIMEOUT (seconds, default 300).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:?MODE is required (install|reconfigure|upgrade)}"
ROLE="${ROLE:?ROLE is required (server|agent)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
CONFIG_DIR="$ROOT/etc/rancher/k3s"
CONFIG="$CONFIG_DIR/config.yaml"

if [ "$ROLE" = server ]; then SERVICE=k3s; else SERVICE=k3s-agent; fi

log() { printf '[%s] %s\n' "$NODE_NAME" "$*"; }

installed_version() {
    command -v k3s >/dev/null 2>&1 || return 0
    # A broken binary counts as "not installed": the installer repairs it.
    { k3s --version 2>/dev/null || true; } | awk 'NR == 1 { print $3 }'
}

# Writes stdin to the config file; returns 0 when the file changed.
write_config() {
    umask 077
    mkdir -p "$CONFIG_DIR"
    local tmp
    tmp="$(mktemp "$CONFIG_DIR/.config.yaml.XXXXXX")"
    cat >"$tmp"
    if [ -f "$CONFIG" ] && cmp -s "$tmp" "$CONFIG"; then
        rm -f "$tmp"
        return 1
    fi
    chmod 600 "$tmp"
    mv -f "$tmp" "$CONFIG"
    return 0
}

run_installer() {
    local version="$1"
    log "installing k3s $version ($ROLE)"
    case "${INSTALL_URL:?INSTALL_URL is required}" in
        file://*)
            INSTALL_K3S_VERSION="$version" INSTALL_K3S_EXEC="$ROLE" sh "${INSTALL_URL#file://}"
            ;;
        *)
            local installer
            installer="$(mktemp)"
            curl -sfL --retry 3 -o "$installer" "$INSTALL_URL"
            INSTALL_K3S_VERSION="$version" INSTALL_K3S_EXEC="$ROLE" sh "$installer"
            rm -f "$installer"
            ;;
    esac
}

wait_ready() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    if [ "$ROLE" = server ]; then
        until k3s kubectl get node "$NODE_NAME" >/dev/null 2>&1; do
            [ "$SECONDS" -lt "$deadline" ] || { log "node did not register within ${READY_TIMEOUT}s"; exit 1; }
            sleep 2
        done
        k3s kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$((deadline - SECONDS > 0 ? deadline - SECONDS : 1))s" >/dev/null
        log "node Ready"
    else
        until systemctl is-active --quiet "$SERVICE"; do
            [ "$SECONDS" -lt "$deadline" ] || { log "$SERVICE not active within ${READY_TIMEOUT}s"; exit 1; }
            sleep 2
        done
        log "$SERVICE active"
    fi
}

case "$MODE" in
    install)
        version="${K3S_VERSION:?K3S_VERSION is required}"
        changed=0
        if write_config; then changed=1; fi
        current="$(installed_version)"
        if [ "$current" = "$version" ]; then
            if [ "$changed" = 1 ]; then
                log "config changed; restarting $SERVICE"
                systemctl restart "$SERVICE"
                wait_ready
            else
                log "k3s $version already installed, config unchanged"
            fi
        else
            run_installer "$version"
            wait_ready
        fi
        ;;
    reconfigure)
        if write_config; then
            if [ -n "$(installed_version)" ]; then
                log "config changed; restarting $SERVICE"
                systemctl restart "$SERVICE"
                wait_ready
            else
                log "config written; k3s is not installed yet"
            fi
        else
            log "config unchanged"
        fi
        ;;
    upgrade)
        version="${K3S_VERSION:?K3S_VERSION is required}"
        current="$(installed_version)"
        if [ "$current" = "$version" ]; then
            log "k3s $version already running; unchanged"
        else
            log "upgrading k3s ${current:-none} -> $version"
            run_installer "$version"
            wait_ready
        fi
        ;;
    *)
        log "unknown MODE '$MODE' (install|reconfigure|upgrade)"
        exit 2
        ;;
esac

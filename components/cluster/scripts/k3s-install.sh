#!/usr/bin/env bash
# Installs, reconfigures or upgrades k3s on this node. Runs as root.
#
#   MODE=preinstall   install TARGET_VERSION without a config and without
#                     starting it, if k3s is absent (else nothing). A joining
#                     node runs it while the first server starts, so its
#                     `install` only writes the config and starts k3s
#   MODE=install      write the config from stdin, install TARGET_VERSION if k3s is absent
#   MODE=reconfigure  write the config from stdin, restart k3s only if it changed
#   MODE=upgrade      place TARGET_VERSION if another version runs (re-running
#                     the installer unless, in artifact mode, the same one
#                     already ran here), restart k3s and return: the
#                     program's Ready gate (node-ready.sh with
#                     TARGET_VERSION) waits for the node
#   MODE=stage        artifact mode only: copy and check the artifacts into
#                     root-owned staging, nothing else (no config, no
#                     install). The program runs it before a node is drained,
#                     so an upgrade's down-time is only the swap, the restart
#                     and the Ready wait; install and upgrade then use the
#                     staged, checked copies without copying or hashing again.
#
# The k3s config (it holds the join token) arrives on stdin, never in argv or
# the environment, and is written root-owned 0600. Each mode is idempotent:
# with the same inputs a second run changes nothing and says "unchanged".
#
# Every wait is bounded. The installer runs with INSTALL_K3S_SKIP_START=true,
# so it never blocks on `systemctl restart` of the Type=notify unit (whose
# TimeoutStartSec=0 would wait forever on a join that cannot succeed); to
# install or reconfigure, this script restarts the unit under `timeout` and
# waits up to READY_TIMEOUT seconds in all for it to become active and its
# Node Ready (read with the node's own kubelet credential). On
# timeout it names the node and the likely cause and prints the unit's last
# journal lines. An upgrade restarts with --no-block and leaves the wait to
# the Ready gate (MODE=upgrade above).
#
# Changes k3s cannot make in place (role, data-dir, the CIDRs, removing
# cluster-init) are refused on an installed node, with what to do instead.
#
# Inputs (environment): MODE, ROLE (server|agent), TARGET_VERSION, NODE_NAME,
# READY_TIMEOUT (seconds, default 300), NODE_READY_GATE (1: the install
# leaves the Node's Ready wait to the program's gate), POLL_INTERVAL (seconds, default 0.2: a tight bounded poll, so a wait ends soon after its condition holds),
# INSTALL_URL (https:// or file://), INSTALL_SHA256 (required for https://),
# and for artifact mode (no download on the node) ARTIFACT_DIR holding files
# copied from the workstation: INSTALLER_FILE, BINARY_FILE and optionally
# IMAGES_FILE, each checked against INSTALL_SHA256, BINARY_SHA256,
# IMAGES_SHA256. DATA_DIR is k3s's data dir (default /var/lib/rancher/k3s).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:?MODE is required (preinstall|install|reconfigure|upgrade|stage)}"
ROLE="${ROLE:?ROLE is required (server|agent)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.2}"
DATA_DIR="${DATA_DIR:-/var/lib/rancher/k3s}"
CONFIG_DIR="$ROOT/etc/rancher/k3s"
CONFIG="$CONFIG_DIR/config.yaml"
STAGING="$ROOT/var/lib/picluster/artifacts"
# The sha256 of the installer that last ran to completion (artifact mode).
INSTALLER_RAN="$ROOT/var/lib/picluster/installer-ran.sha256"
# An install that fails says so here, for ca-hash.sh (which waits beside the
# first server's install for the CA) to stop waiting.
INSTALL_FAILED="$ROOT/var/lib/picluster/install.failed"

if [ "$ROLE" = server ]; then SERVICE=k3s; else SERVICE=k3s-agent; fi

log() { printf '[%s] %s\n' "$NODE_NAME" "$*"; }
warn() { printf '[%s] warning: %s\n' "$NODE_NAME" "$*" >&2; }
fail() {
    printf '[%s] %s\n' "$NODE_NAME" "$*" >&2
    exit 1
}

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# shellcheck source=components/cluster/scripts/lib/deadline.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deadline.sh" # picluster:include
# The directory the installer will use, by its rule: /usr/local/bin unless
# root cannot write there and /opt/bin exists.
bin_dir() {
    if [ -w "$ROOT/usr/local/bin" ] || [ ! -d "$ROOT/opt/bin" ]; then
        printf '%s\n' "$ROOT/usr/local/bin"
    else
        printf '%s\n' "$ROOT/opt/bin"
    fi
}

# The installed k3s version (empty when absent). KNOWN_VERSION, when set,
# is this run's answer so far: `k3s --version` loads the whole binary, a
# noticeable pause on a Pi.
installed_version() {
    if [ -n "${KNOWN_VERSION+set}" ]; then
        printf '%s\n' "$KNOWN_VERSION"
        return 0
    fi
    local bin
    bin="$(k3s_path)" || return 0
    # A broken binary counts as "not installed": the installer repairs it.
    { "$bin" --version 2>/dev/null || true; } | awk 'NR == 1 { print $3 }'
}

# The line of KEY in a k3s config file (empty when absent).
config_line() { grep -E "^$1:" "$2" 2>/dev/null || true; }

# Refuses changes k3s cannot make in place on an installed node: its role,
# data dir, the cluster and service CIDRs and cluster-init. Restarting with
# them would break the node, or start a server on a new, empty datastore.
refuse_immutable_changes() {
    local new="$1" key other before after
    [ -n "$(installed_version)" ] || return 0
    if [ "$ROLE" = server ]; then other=k3s-agent; else other=k3s; fi
    if [ -x "$ROOT/usr/local/bin/$other-uninstall.sh" ] || [ -x "$ROOT/opt/bin/$other-uninstall.sh" ]; then
        rm -f "$new"
        fail "role change refused: this node runs $other, the config asks for $ROLE. k3s cannot change a node's role in place: remove the node from cluster.nodes and run pulumi up (drain, uninstall), then add it back with the new role"
    fi
    [ -f "$CONFIG" ] || return 0
    # cluster-init may be added (k3s converts the server's datastore to
    # embedded etcd when a second server is declared) but not removed.
    if [ -n "$(config_line cluster-init "$CONFIG")" ] && [ -z "$(config_line cluster-init "$new")" ]; then
        rm -f "$new"
        fail "cluster-init removal refused: this server's datastore is embedded etcd and stays so. Keep at least two servers declared, or rebuild the cluster"
    fi
    for key in data-dir cluster-cidr service-cidr; do
        if [ "$(config_line "$key" "$CONFIG")" != "$(config_line "$key" "$new")" ]; then
            before="$(config_line "$key" "$CONFIG")" after="$(config_line "$key" "$new")"
            before="${before#*: }" after="${after#*: }"
            rm -f "$new"
            fail "$key change refused: ${before:-unset} -> ${after:-unset}. k3s cannot change it on a running node (a server would start on a new, empty datastore). Revert it, or rebuild: remove the node (an agent) or the cluster (the first server), then add it back"
        fi
    done
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
    refuse_immutable_changes "$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$CONFIG"
    return 0
}

sha256_of() { sha256sum "$1" | awk '{ print $1 }'; }

# Copies $1 (a file copied from the workstation) into root-owned staging and
# checks the copy, so the file used is the file checked. A copy already
# checked against the same sha256 (its `.sha256` note, written only after the
# check, in the root-only staging directory) is used as it is.
stage() {
    local src="$1" want="$2" name dest got
    [ -n "$want" ] || fail "no sha256 given for $src"
    name="$(basename "$src")"
    dest="$STAGING/$name"
    if [ -f "$dest" ] && [ "$(cat "$dest.sha256" 2>/dev/null)" = "$want" ]; then
        printf '%s\n' "$dest"
        return 0
    fi
    [ -f "$src" ] || fail "artifact $src is missing on the node; it is copied there by the program before the install"
    mkdir -p "$STAGING"
    chmod 700 "$STAGING"
    rm -f "$dest.sha256"
    cp -f "$src" "$dest"
    got="$(sha256_of "$dest")"
    if [ "$got" != "$want" ]; then
        rm -f "$dest"
        fail "artifact $name has sha256 $got, expected $want; the copy is corrupt or the configured checksum is wrong"
    fi
    printf '%s\n' "$want" >"$dest.sha256"
    printf '%s\n' "$dest"
}

# Artifact mode: stages and checks every artifact this node needs, and
# removes staged copies of earlier versions.
stage_artifacts() {
    local -a keep=()
    [ -n "${ARTIFACT_DIR:-}" ] || fail "MODE=stage needs ARTIFACT_DIR (artifact mode)"
    keep+=("$(stage "$ARTIFACT_DIR/${INSTALLER_FILE:?INSTALLER_FILE is required with ARTIFACT_DIR}" "${INSTALL_SHA256:-}")")
    keep+=("$(stage "$ARTIFACT_DIR/${BINARY_FILE:?BINARY_FILE is required with ARTIFACT_DIR}" "${BINARY_SHA256:-}")")
    [ -z "${IMAGES_FILE:-}" ] || keep+=("$(stage "$ARTIFACT_DIR/$IMAGES_FILE" "${IMAGES_SHA256:-}")")
    local f k used
    for f in "$STAGING"/*; do
        [ -e "$f" ] || continue
        used=0
        for k in "${keep[@]}"; do
            if [ "$f" = "$k" ] || [ "$f" = "$k.sha256" ]; then used=1; fi
        done
        [ "$used" = 1 ] || rm -f "$f"
    done
    log "staged and checked every artifact's sha256"
}

# Prints the path of a verified installer script.
fetch_installer() {
    case "${INSTALL_URL:-}" in
        https://*)
            # The plan requires a checksum for a configured URL; the default
            # one runs unchecked, with the plan's warning.
            [ -n "${INSTALL_SHA256:-}" ] || warn "no INSTALL_SHA256 for $INSTALL_URL: running it unchecked (https only)"
            command -v curl >/dev/null 2>&1 || fail "curl is needed to download $INSTALL_URL; install curl or use artifact mode"
            local tmp got
            tmp="$(mktemp)"
            # https only, redirects included, and a bounded time.
            curl -fsSL --proto '=https' --proto-redir '=https' --max-redirs 5 --max-time 120 --retry 3 -o "$tmp" "$INSTALL_URL" ||
                fail "cannot download the k3s installer from $INSTALL_URL"
            got="$(sha256_of "$tmp")"
            if [ -n "${INSTALL_SHA256:-}" ] && [ "$got" != "$INSTALL_SHA256" ]; then
                rm -f "$tmp"
                fail "the installer from $INSTALL_URL has sha256 $got, expected $INSTALL_SHA256; refusing to run it"
            fi
            printf '%s\n' "$tmp"
            ;;
        file://*)
            local file="${INSTALL_URL#file://}"
            [ -f "$file" ] || fail "installer $file not found on the node"
            if [ -n "${INSTALL_SHA256:-}" ]; then stage "$file" "$INSTALL_SHA256"; else printf '%s\n' "$file"; fi
            ;;
        *) fail "INSTALL_URL must be https:// or file:// (got '${INSTALL_URL:-}')" ;;
    esac
}

run_installer() {
    local version="$1" installer
    unset KNOWN_VERSION
    log "installing k3s $version ($ROLE)"
    local -a vars=(INSTALL_K3S_VERSION="$version" INSTALL_K3S_EXEC="$ROLE" INSTALL_K3S_SKIP_START=true)
    if [ -n "${ARTIFACT_DIR:-}" ]; then
        local bin dir
        installer="$(stage "$ARTIFACT_DIR/${INSTALLER_FILE:?INSTALLER_FILE is required with ARTIFACT_DIR}" "${INSTALL_SHA256:-}")"
        bin="$(stage "$ARTIFACT_DIR/${BINARY_FILE:?BINARY_FILE is required with ARTIFACT_DIR}" "${BINARY_SHA256:-}")"
        dir="$(bin_dir)"
        mkdir -p "$dir"
        # Replace atomically: the running binary ("text file busy") is never written to.
        install -m 0755 "$bin" "$dir/.k3s.new"
        mv -f "$dir/.k3s.new" "$dir/k3s"
        if [ -n "${IMAGES_FILE:-}" ]; then
            local images
            images="$(stage "$ARTIFACT_DIR/$IMAGES_FILE" "${IMAGES_SHA256:-}")"
            mkdir -p "$ROOT$DATA_DIR/agent/images"
            cp -f "$images" "$ROOT$DATA_DIR/agent/images/$IMAGES_FILE"
        fi
        vars+=(INSTALL_K3S_SKIP_DOWNLOAD=true)
        log "placed the k3s binary and checked every artifact's sha256"
        # An upgrade needs the installer only if it changed: with the same
        # installer and inputs it writes the same unit, environment file,
        # links and scripts, and a new binary needs nothing but a restart
        # (k3s's manual upgrade). Skipping it shortens the node's down-time.
        if [ "$MODE" = upgrade ] && [ -f "$ROOT/etc/systemd/system/$SERVICE.service" ] &&
            [ "$(cat "$INSTALLER_RAN" 2>/dev/null)" = "${INSTALL_SHA256:-}" ]; then
            log "installer unchanged since it last ran here: the new binary needs only the restart"
            return 0
        fi
    else
        installer="$(fetch_installer)"
    fi
    env "${vars[@]}" sh "$installer"
    # Artifact mode keeps its checked copies for the next run (MODE=stage
    # prunes old ones) and notes which installer ran. Otherwise only what
    # this script made (a staged copy, a download) is removed, never the
    # file:// installer it was given.
    if [ -n "${ARTIFACT_DIR:-}" ]; then
        printf '%s\n' "${INSTALL_SHA256:-}" >"$INSTALLER_RAN"
        return 0
    fi
    [ "file://$installer" = "${INSTALL_URL:-}" ] || rm -f "$installer" "$installer.sha256"
}

# The join target, from the config: "host:port" of its `server:` URL.
server_of_config() {
    sed -n 's/^server: *//p' "$CONFIG" 2>/dev/null | head -n 1 | sed -E "s/^['\"]//; s/['\"]\$//; s#^https://##; s#/.*##"
}

journal_excerpt() { journalctl -u "$SERVICE" -n 20 --no-pager -o cat 2>/dev/null || true; }

# Names the cause from the journal's k3s messages.
diagnose() {
    local journal="$1" server
    server="$(server_of_config)"
    server="${server:-the server}"
    if grep -qiE '401 Unauthorized|token .*(invalid|rejected|does not match)|CA hash does not match|invalid token' <<<"$journal"; then
        echo "token rejected by $server"
    elif grep -qiE 'dial tcp|connection refused|no route to host|i/o timeout|network is unreachable|context deadline exceeded' <<<"$journal"; then
        echo "cannot reach $server"
    else
        echo "$SERVICE did not report ready"
    fi
}

not_ready() {
    local what="$1" journal line
    journal="$(journal_excerpt)"
    {
        printf '[%s] %s within %ss: %s\n' "$NODE_NAME" "$what" "$READY_TIMEOUT" "$(diagnose "$journal")"
        printf '[%s] last lines of the %s journal:\n' "$NODE_NAME" "$SERVICE"
        if [ -n "$journal" ]; then
            while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$journal"
        else
            echo "    (empty)"
        fi
        printf '[%s] the unit keeps retrying; fix the cause and run the update again\n' "$NODE_NAME"
    } >&2
    exit 1
}

# Restarts the unit without waiting for it (an upgrade: the Ready gate waits).
start_service() { systemctl restart --no-block "$SERVICE"; }

# kubectl as this node's kubelet (kubelet_kubeconfig), so any node checks its
# own registration and no cluster credential is needed on an agent.
node_kubectl() {
    local bin
    bin="$(k3s_path)" || fail "k3s binary not found after the install"
    "$bin" kubectl "$@" --kubeconfig "$(kubelet_kubeconfig)"
}

# Waits until the unit is active (unless $2 is "active": a blocking restart
# just returned) and the Node is registered and Ready, until DEADLINE ($1, a
# value of SECONDS; default READY_TIMEOUT from now). With
# NODE_READY_GATE=1 (the first server) the Node's wait is left to the
# program's Ready gate, so the joining nodes start while it runs.
wait_ready() {
    local deadline="${1:-$((SECONDS + READY_TIMEOUT))}" state="${2:-}"
    until [ "$state" = active ] || { state="$(systemctl is-active "$SERVICE" 2>/dev/null)" && [ "$state" = active ]; }; do
        [ "$SECONDS" -lt "$deadline" ] || not_ready "$SERVICE not active (${state:-unknown})"
        sleep "$POLL_INTERVAL"
    done
    if [ "${NODE_READY_GATE:-0}" = 1 ]; then
        log "$SERVICE active"
        return 0
    fi
    # A registered node is watched at once; one not registered yet is polled first.
    if ! node_kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$(seconds_left "$deadline")s" >/dev/null 2>&1; then
        until node_kubectl get node "$NODE_NAME" >/dev/null 2>&1; do
            [ "$SECONDS" -lt "$deadline" ] || not_ready "node did not register"
            sleep "$POLL_INTERVAL"
        done
        node_kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$(seconds_left "$deadline")s" >/dev/null || not_ready "node not Ready"
    fi
    log "$SERVICE active, node Ready"
}

# Restarts the unit and waits until it is active and its Node Ready (see
# wait_ready), at most READY_TIMEOUT seconds. A blocking restart of a Type=notify unit returns the
# moment k3s notifies READY=1, with no poll between; `timeout` bounds it,
# since a join that cannot succeed never notifies (TimeoutStartSec=0). When
# it stops waiting, systemd keeps the start job and k3s keeps retrying, as
# after --no-block; the poll in wait_ready then decides, and diagnoses.
start_and_wait() {
    local deadline=$((SECONDS + READY_TIMEOUT))
    if timeout "$READY_TIMEOUT" systemctl restart "$SERVICE" >/dev/null 2>&1; then
        wait_ready "$deadline" active
    else
        wait_ready "$deadline"
    fi
}

if [ "$MODE" = install ]; then
    mkdir -p "$(dirname "$INSTALL_FAILED")"
    rm -f "$INSTALL_FAILED"
    record_failure() {
        local rc=$?
        [ "$rc" = 0 ] || echo "k3s-install.sh exited with $rc" >"$INSTALL_FAILED"
    }
    trap record_failure EXIT
fi

case "$MODE" in
    preinstall)
        version="${TARGET_VERSION:?TARGET_VERSION is required}"
        current="$(installed_version)"
        if [ -n "$current" ]; then
            log "k3s $current already installed; the install step takes it from here"
        else
            run_installer "$version"
            log "k3s $version installed, not started: it starts once its config is written"
        fi
        ;;
    install)
        version="${TARGET_VERSION:?TARGET_VERSION is required}"
        changed=0 had_config=0
        [ ! -f "$CONFIG" ] || had_config=1
        KNOWN_VERSION="$(installed_version)"
        current="$KNOWN_VERSION"
        if write_config; then changed=1; fi
        if [ "$current" = "$version" ]; then
            if [ "$changed" = 1 ]; then
                if [ "$had_config" = 1 ]; then log "config changed; restarting $SERVICE"; else log "config written; starting $SERVICE"; fi
                start_and_wait
            elif [ "$(systemctl is-active "$SERVICE" 2>/dev/null || true)" != active ]; then
                # A previous run timed out: wait for the unit again.
                log "k3s $version installed, $SERVICE not active yet; waiting"
                wait_ready
            else
                log "k3s $version already installed, config unchanged"
            fi
        else
            run_installer "$version"
            start_and_wait
        fi
        ;;
    reconfigure)
        KNOWN_VERSION="$(installed_version)"
        if write_config; then
            if [ -n "$KNOWN_VERSION" ]; then
                log "config changed; restarting $SERVICE"
                start_and_wait
            else
                log "config written; k3s is not installed yet"
            fi
        else
            log "config unchanged"
        fi
        ;;
    upgrade)
        version="${TARGET_VERSION:?TARGET_VERSION is required}"
        current="$(installed_version)"
        if [ "$current" = "$version" ]; then
            log "k3s $version already running; unchanged"
        else
            log "upgrading k3s ${current:-none} -> $version"
            run_installer "$version"
            # No wait here: the Ready gate (node-ready.sh, on the first
            # server) watches for the node to report $version, and its step
            # starts while k3s is still starting instead of after it.
            start_service
            log "$SERVICE restarted at $version; the Ready gate waits for the node"
        fi
        ;;
    stage)
        stage_artifacts
        ;;
    *)
        log "unknown MODE '$MODE' (preinstall|install|reconfigure|upgrade|stage)"
        exit 2
        ;;
esac

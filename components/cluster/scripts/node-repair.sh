#!/usr/bin/env bash
# Gets k3s running on this node: starts its service if stopped, restarts it if
# the service runs but the node reports NotReady; a running, Ready node is
# left alone. Runs as root, after k3s-install.sh MODE=install has put back a
# removed k3s or a changed config (both idempotent), as the repair of drift
# node-observe.sh found. Inputs (environment): ROLE (server|agent),
# NODE_NAME, READY_TIMEOUT (seconds, default 60). PICLUSTER_ROOT prefixes
# file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
ROLE="${ROLE:?ROLE is required (server|agent)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
READY_TIMEOUT="${READY_TIMEOUT:-60}"
if [ "$ROLE" = server ]; then SERVICE=k3s; else SERVICE=k3s-agent; fi
# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# Not installed (yet): the bare name, which the caller checks for.
K3S=$(k3s_path) || K3S=k3s

# shellcheck source=components/cluster/scripts/lib/ready-condition.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/ready-condition.sh" # picluster:include

if ! systemctl is-active --quiet "$SERVICE"; then
    echo "[$NODE_NAME] $SERVICE stopped; starting it"
    # --no-block: a Type=notify unit whose join fails would block forever; the
    # bounded wait below decides.
    systemctl start --no-block "$SERVICE"
elif [ "$(ready_condition)" = False ]; then
    echo "[$NODE_NAME] $SERVICE runs but the node is NotReady; restarting it"
    systemctl restart --no-block "$SERVICE"
else
    echo "[$NODE_NAME] $SERVICE active; nothing to do"
    exit 0
fi
deadline=$((SECONDS + READY_TIMEOUT))
until systemctl is-active --quiet "$SERVICE"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "[$NODE_NAME] $SERVICE not active within ${READY_TIMEOUT}s" >&2; exit 1; }
    sleep 0.2
done
echo "[$NODE_NAME] $SERVICE active"

#!/usr/bin/env bash
# Starts k3s on this node if its service is stopped; a running service is left
# alone. Runs as root, after k3s-install.sh MODE=install has put back a removed
# k3s or a changed config (both idempotent), as the repair of drift that
# node-observe.sh found. Inputs (environment): ROLE (server|agent), NODE_NAME,
# READY_TIMEOUT (seconds, default 60).
set -euo pipefail

ROLE="${ROLE:?ROLE is required (server|agent)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
READY_TIMEOUT="${READY_TIMEOUT:-60}"
if [ "$ROLE" = server ]; then SERVICE=k3s; else SERVICE=k3s-agent; fi

if systemctl is-active --quiet "$SERVICE"; then
    echo "[$NODE_NAME] $SERVICE active; nothing to start"
    exit 0
fi
echo "[$NODE_NAME] $SERVICE stopped; starting it"
systemctl start "$SERVICE"
deadline=$((SECONDS + READY_TIMEOUT))
until systemctl is-active --quiet "$SERVICE"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "[$NODE_NAME] $SERVICE not active within ${READY_TIMEOUT}s" >&2; exit 1; }
    sleep 0.2
done
echo "[$NODE_NAME] $SERVICE active"

#!/usr/bin/env bash
# Removes k3s from this node so the same host can join again later: runs the
# uninstaller k3s left behind and deletes the node password, whose stale copy
# makes the server reject a rejoin ("Node password rejected"). Runs as root;
# idempotent.
#
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
removed=0
for uninstaller in "$ROOT/usr/local/bin/k3s-agent-uninstall.sh" "$ROOT/usr/local/bin/k3s-uninstall.sh"; do
    if [ -x "$uninstaller" ]; then
        "$uninstaller"
        removed=1
    fi
done
if [ -e "$ROOT/etc/rancher/node/password" ]; then
    rm -f "$ROOT/etc/rancher/node/password"
    removed=1
fi
if [ "$removed" = 1 ]; then
    echo "k3s uninstalled"
else
    echo "k3s not installed; unchanged"
fi

#!/usr/bin/env bash
# Removes k3s from this node so the same host can join again later: runs the
# uninstaller k3s left behind and deletes the node password, whose stale copy
# makes the server reject a rejoin ("Node password rejected"). Runs as root;
# idempotent.
#
# k3s's uninstall and killall scripts read K3S_DATA_DIR (default
# /var/lib/rancher/k3s) to find the datastore, certificates and container
# shims; a node with its own data dir passes it as DATA_DIR, or those stay
# behind. The installer puts its scripts in /usr/local/bin, or /opt/bin when
# /usr/local/bin is read-only; both are looked at.
#
# Inputs (environment): DATA_DIR (optional). PICLUSTER_ROOT prefixes file
# paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
export K3S_DATA_DIR="${DATA_DIR:-/var/lib/rancher/k3s}"
removed=0
for dir in "$ROOT/usr/local/bin" "$ROOT/opt/bin"; do
    for uninstaller in "$dir/k3s-agent-uninstall.sh" "$dir/k3s-uninstall.sh"; do
        if [ -x "$uninstaller" ]; then
            "$uninstaller"
            removed=1
        fi
    done
done
# k3s-install.sh's note of the installer that ran: a later install runs it afresh.
rm -f "$ROOT/var/lib/picluster/installer-ran.sha256"
if [ -e "$ROOT/etc/rancher/node/password" ]; then
    rm -f "$ROOT/etc/rancher/node/password"
    removed=1
fi
if [ "$removed" = 1 ]; then
    echo "k3s uninstalled (data dir $K3S_DATA_DIR)"
else
    echo "k3s not installed; unchanged"
fi

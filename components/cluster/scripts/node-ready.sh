#!/usr/bin/env bash
# Runs on the first server: waits until NODE_NAME is registered and Ready,
# then (UNCORDON=1) makes it schedulable again if node-drain.sh cordoned it
# for an upgrade (a node cordoned by hand stays cordoned) and closes the
# CloudNativePG node maintenance windows node-drain.sh opened. Runs as root;
# idempotent. Inputs (environment): NODE_NAME, UNCORDON (0|1),
# READY_TIMEOUT (seconds, default 300), POLL_INTERVAL (seconds, default 0.2:
# the poll for a node that has not registered yet; a registered node is
# watched by `kubectl wait`, which returns the moment it is Ready and prints
# the annotations this script needs, so the usual case is one kubectl call
# before the uncordon).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
UNCORDON="${UNCORDON:-0}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.2}"

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
K3S=$(require_k3s) || exit 1
kubectl() { "$K3S" kubectl "$@"; }

deadline=$((SECONDS + READY_TIMEOUT))
# Waits for Ready; prints "<drained-for>|<cnpg-maintenance>" from the Ready node.
wait_ready() {
    local remaining=$((deadline - SECONDS))
    [ "$remaining" -gt 0 ] || remaining=1
    kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="${remaining}s" \
        -o jsonpath='{.metadata.annotations.picluster\.io/drained-for}|{.metadata.annotations.picluster\.io/cnpg-maintenance}'
}
# A registered node: one watch. Otherwise poll until it registers, then watch.
if ! state="$(wait_ready 2>/dev/null)"; then
    until kubectl get node "$NODE_NAME" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "node $NODE_NAME did not register within ${READY_TIMEOUT}s; see its k3s journal (journalctl -u k3s-agent, or -u k3s on a server)" >&2
            exit 1
        fi
        sleep "$POLL_INTERVAL"
    done
    if ! state="$(wait_ready)"; then
        echo "node $NODE_NAME registered but not Ready within ${READY_TIMEOUT}s" >&2
        exit 1
    fi
fi
drained_for="${state%%|*}"
windows="${state#*|}"
if [ "$UNCORDON" = 1 ] && [ -n "$drained_for" ]; then
    kubectl uncordon "$NODE_NAME" >/dev/null
    IFS=, read -r -a refs <<<"$windows"
    for ref in "${refs[@]}"; do
        kubectl -n "${ref%%/*}" patch clusters.postgresql.cnpg.io "${ref#*/}" --type=merge \
            -p '{"spec":{"nodeMaintenanceWindow":{"inProgress":false,"reusePVC":true}}}' >/dev/null
        echo "CloudNativePG cluster $ref: node maintenance window closed"
    done
    kubectl annotate node "$NODE_NAME" "picluster.io/drained-for-" "picluster.io/cnpg-maintenance-" >/dev/null
    echo "node $NODE_NAME Ready and uncordoned after upgrade to $drained_for"
else
    echo "node $NODE_NAME Ready"
fi

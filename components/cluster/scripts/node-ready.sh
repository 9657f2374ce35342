#!/usr/bin/env bash
# Runs on the first server: waits until NODE_NAME is registered and Ready,
# then (UNCORDON=1) makes it schedulable again if node-drain.sh cordoned it
# for an upgrade (a node cordoned by hand stays cordoned). Runs as root;
# idempotent. Inputs (environment): NODE_NAME, UNCORDON (0|1),
# READY_TIMEOUT (seconds, default 300).
set -euo pipefail

NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
UNCORDON="${UNCORDON:-0}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"

kubectl() { k3s kubectl "$@"; }

deadline=$((SECONDS + READY_TIMEOUT))
until kubectl get node "$NODE_NAME" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "node $NODE_NAME did not register within ${READY_TIMEOUT}s" >&2
        exit 1
    fi
    sleep 2
done
remaining=$((deadline - SECONDS))
[ "$remaining" -gt 0 ] || remaining=1
kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="${remaining}s" >/dev/null
drained_for="$(kubectl get node "$NODE_NAME" -o jsonpath='{.metadata.annotations.picluster\.io/drained-for}')"
if [ "$UNCORDON" = 1 ] && [ -n "$drained_for" ]; then
    kubectl uncordon "$NODE_NAME" >/dev/null
    kubectl annotate node "$NODE_NAME" "picluster.io/drained-for-" >/dev/null
    echo "node $NODE_NAME Ready and uncordoned after upgrade to $drained_for"
else
    echo "node $NODE_NAME Ready"
fi

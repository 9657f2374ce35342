#!/usr/bin/env bash
# Runs on the first server: takes a node out of service. Runs as root.
#
#   MODE=drain   cordon and drain NODE_NAME before its k3s is upgraded to
#                K3S_VERSION; a node whose kubelet already runs it is left
#                alone. The node is annotated so node-ready.sh uncordons only
#                what this script cordoned.
#   MODE=remove  drain (best effort), delete the Node object and its k3s node
#                password secret, so the host can rejoin under the same name
#
# A node that is already gone is not an error. Inputs (environment): MODE,
# NODE_NAME, K3S_VERSION (drain), DRAIN_TIMEOUT (seconds, default 300).
set -euo pipefail

MODE="${MODE:?MODE is required (drain|remove)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-300}"

kubectl() { k3s kubectl "$@"; }

if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
    echo "node $NODE_NAME not registered; nothing to do"
    exit 0
fi

drain() {
    kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s"
}

case "$MODE" in
    drain)
        target="${K3S_VERSION:?K3S_VERSION is required with MODE=drain}"
        running="$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')"
        if [ "$running" = "$target" ]; then
            echo "node $NODE_NAME already runs $target; not draining"
            exit 0
        fi
        kubectl annotate node "$NODE_NAME" --overwrite "picluster.io/drained-for=$target" >/dev/null
        drain
        echo "node $NODE_NAME drained for $running -> $target"
        ;;
    remove)
        # An unreachable node cannot be drained cleanly; removal goes on anyway.
        drain || echo "drain of $NODE_NAME incomplete; deleting it anyway"
        kubectl delete node "$NODE_NAME" --wait=true
        kubectl -n kube-system delete secret "$NODE_NAME.node-password.k3s" --ignore-not-found
        echo "node $NODE_NAME removed"
        ;;
    *)
        echo "unknown MODE '$MODE' (drain|remove)" >&2
        exit 2
        ;;
esac

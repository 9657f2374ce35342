#!/usr/bin/env bash
# Runs on the first server: waits until NODE_NAME is registered and Ready,
# then (UNCORDON=1) makes it schedulable again if node-drain.sh cordoned it
# for an upgrade (a node cordoned by hand stays cordoned) and closes the
# CloudNativePG node maintenance windows node-drain.sh opened. Runs as root;
# idempotent.
#
# With TARGET_VERSION (the upgrade chain's gate) it first waits until the
# node's kubelet reports that version. The upgrade step only restarts k3s and
# returns, so this wait runs while the node starts: until the new kubelet
# posts its status, the Node still shows the old version, and a Ready
# condition that is only the old kubelet's last word.
#
# Inputs (environment): NODE_NAME, UNCORDON (0|1), TARGET_VERSION (optional),
# READY_TIMEOUT (seconds, default 300), POLL_INTERVAL (seconds, default 0.2:
# the retry for a node not registered yet or an API server that is
# restarting; a registered node is watched by `kubectl wait`, which returns
# the moment its condition holds and prints what this script needs, so the
# usual case is one kubectl call before the uncordon).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
UNCORDON="${UNCORDON:-0}"
TARGET_VERSION="${TARGET_VERSION:-}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.2}"

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# shellcheck source=components/cluster/scripts/lib/deadline.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deadline.sh" # picluster:include
K3S=$(require_k3s) || exit 1
kubectl() { "$K3S" kubectl "$@"; }

deadline=$((SECONDS + READY_TIMEOUT))
READY='{.status.conditions[?(@.type=="Ready")].status}'
ANNOTATIONS='{.metadata.annotations.picluster\.io/drained-for}|{.metadata.annotations.picluster\.io/cnpg-maintenance}'

# One watch; prints "<Ready status>|<drained-for>|<cnpg-maintenance>" once
# the node runs TARGET_VERSION (or, without one, once it is Ready). Fails at
# once for a node not registered yet or an API server that does not answer.
wait_node() {
    if [ -n "$TARGET_VERSION" ]; then
        kubectl wait "node/$NODE_NAME" --for=jsonpath='{.status.nodeInfo.kubeletVersion}'="$TARGET_VERSION" \
            --timeout="$(seconds_left "$deadline")s" -o jsonpath="$READY|$ANNOTATIONS"
    else
        kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$(seconds_left "$deadline")s" -o jsonpath="True|$ANNOTATIONS"
    fi
}

timed_out() {
    local seen
    seen="$(kubectl get node "$NODE_NAME" -o jsonpath="{.status.nodeInfo.kubeletVersion}, Ready=$READY" 2>/dev/null || true)"
    if [ -z "$seen" ]; then
        echo "node $NODE_NAME did not register within ${READY_TIMEOUT}s; see its k3s journal (journalctl -u k3s-agent, or -u k3s on a server)" >&2
    elif [ -n "$TARGET_VERSION" ]; then
        echo "node $NODE_NAME not Ready at k3s $TARGET_VERSION within ${READY_TIMEOUT}s (it reports $seen); see its k3s journal (journalctl -u k3s-agent, or -u k3s on a server)" >&2
    else
        echo "node $NODE_NAME registered but not Ready within ${READY_TIMEOUT}s (Ready=${seen#*Ready=})" >&2
    fi
    exit 1
}

until state="$(wait_node 2>/dev/null)"; do
    [ "$SECONDS" -lt "$deadline" ] || timed_out
    sleep "$POLL_INTERVAL"
done
# The new kubelet's first status may not say Ready yet: watch for it.
if [ "${state%%|*}" != True ]; then
    state="$(kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="$(seconds_left "$deadline")s" -o jsonpath="True|$ANNOTATIONS" 2>/dev/null)" || timed_out
fi
state="${state#*|}"
drained_for="${state%%|*}"
windows="${state#*|}"
if [ "$UNCORDON" = 1 ] && [ -n "$drained_for" ]; then
    unmark='"metadata":{"annotations":{"picluster.io/drained-for":null,"picluster.io/cnpg-maintenance":null}}'
    if [ -z "$windows" ]; then
        # One atomic call: schedulable again and the drain's marks gone (what
        # the next batch's drain watches for), never one without the other.
        kubectl patch node "$NODE_NAME" --type=merge -p "{\"spec\":{\"unschedulable\":null},$unmark}" >/dev/null
    else
        # Schedulable first, so the instance can come back when its window closes.
        kubectl uncordon "$NODE_NAME" >/dev/null
        IFS=, read -r -a refs <<<"$windows"
        for ref in "${refs[@]}"; do
            kubectl -n "${ref%%/*}" patch clusters.postgresql.cnpg.io "${ref#*/}" --type=merge \
                -p '{"spec":{"nodeMaintenanceWindow":{"inProgress":false,"reusePVC":true}}}' >/dev/null
            echo "CloudNativePG cluster $ref: node maintenance window closed"
        done
        kubectl patch node "$NODE_NAME" --type=merge -p "{$unmark}" >/dev/null
    fi
    echo "node $NODE_NAME Ready and uncordoned after upgrade to $drained_for"
else
    echo "node $NODE_NAME Ready${TARGET_VERSION:+ at $TARGET_VERSION}"
fi

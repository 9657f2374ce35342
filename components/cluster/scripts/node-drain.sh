#!/usr/bin/env bash
# Runs on the first server: takes a node out of service. Runs as root.
#
#   MODE=drain   cordon and drain NODE_NAME before its k3s is upgraded to
#                TARGET_VERSION; a node whose kubelet already runs it is left
#                alone. The node is annotated so node-ready.sh uncordons only
#                what this script cordoned.
#   MODE=remove  drain (best effort), delete the Node object and its k3s node
#                password secret, so the host can rejoin under the same name
#
# Disruption budgets: a single-instance CloudNativePG cluster on the node gets
# its operator's node maintenance window (spec.nodeMaintenanceWindow
# inProgress/reusePVC), which lifts its budget; node-ready.sh closes the
# window once the node is back. A drain that a budget still blocks ends
# within DRAIN_TIMEOUT with a message naming the budget and the choices, and
# the node is uncordoned again: it is never left cordoned without a word.
#
# The previous batch first: with AFTER_NODES (the nodes of the previous
# upgrade batch, comma-separated) a drain begins only once each of them runs
# TARGET_VERSION, is Ready and no longer carries the drain annotation (its
# `ready` step has uncordoned it): the program starts this step as soon as
# the previous batch's upgrades have restarted k3s, so the step's hand-over
# falls in their start time, and this wait, a watch, ends the moment they are
# back. Meanwhile the node gets its drain annotation (taken off again if the
# wait fails) and its CloudNativePG pods are read, so the drain is all that
# is left once they are back. It is bounded by READY_TIMEOUT; a node that
# already runs the target is not drained and does not wait.
#
# A node that is already gone is not an error. Inputs (environment): MODE,
# NODE_NAME, TARGET_VERSION (drain), DRAIN_TIMEOUT (seconds, default 300),
# AFTER_NODES, READY_TIMEOUT (seconds, default 300), POLL_INTERVAL (seconds,
# default 0.2: the retry when the API server does not answer, as while a
# single server restarts). PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:?MODE is required (drain|remove)}"
NODE_NAME="${NODE_NAME:?NODE_NAME is required}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-300}"
AFTER_NODES="${AFTER_NODES:-}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.2}"
MAINTENANCE_KEY="picluster.io/cnpg-maintenance"

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
# shellcheck source=components/cluster/scripts/lib/deadline.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deadline.sh" # picluster:include
K3S=$(require_k3s) || exit 1
kubectl() { "$K3S" kubectl "$@"; }

# Everything before the drain itself shares one READY_TIMEOUT.
deadline=$((SECONDS + READY_TIMEOUT))

# kubectl "$@", again every POLL_INTERVAL while the API server does not
# answer: this step starts while the previous batch restarts k3s, and when
# that batch is the first server, the API server this script talks to
# restarts with it. Prints the output. Returns 1 when the API server
# answered NotFound, 2 when it did not answer by the deadline (saying so).
answered() {
    local err out rc=0
    err="$(mktemp)"
    until out="$(kubectl "$@" 2>"$err")"; do
        if grep -q NotFound "$err"; then rc=1; break; fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "the API server did not answer kubectl $1 $2 within ${READY_TIMEOUT}s: $(tail -n 1 "$err")" >&2
            rc=2
            break
        fi
        sleep "$POLL_INTERVAL"
    done
    rm -f "$err"
    [ "$rc" != 0 ] || printf '%s' "$out"
    return "$rc"
}

# One call: whether the node is registered, and the version its kubelet runs.
rc=0
running="$(answered get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')" || rc=$?
if [ "$rc" = 1 ]; then
    echo "node $NODE_NAME not registered; nothing to do"
    exit 0
fi
[ "$rc" = 0 ] || exit 1

# Reads "<node>|<kubelet version>|<Ready>|<drained-for>" lines (a watch of
# all nodes) until every node of AFTER_NODES is back; fails at the end of input.
previous_batch_back() {
    local -A back=()
    local name version ready drained n all
    for n in ${AFTER_NODES//,/ }; do back[$n]=0; done
    while IFS='|' read -r name version ready drained; do
        if [ -z "$name" ] || [ -z "${back[$name]+set}" ]; then continue; fi
        if [ "$version" = "$target" ] && [ "$ready" = True ] && [ -z "$drained" ]; then back[$name]=1; else back[$name]=0; fi
        all=1
        for n in "${!back[@]}"; do [ "${back[$n]}" = 1 ] || all=0; done
        [ "$all" = 0 ] || return 0
    done
    return 1
}

wait_previous_batch() {
    [ -n "$AFTER_NODES" ] || return 0
    local watch pid
    local line='{.metadata.name}|{.status.nodeInfo.kubeletVersion}|{.status.conditions[?(@.type=="Ready")].status}|{.metadata.annotations.picluster\.io/drained-for}{"\n"}'
    while [ "$SECONDS" -lt "$deadline" ]; do
        # The watch prints every node, then each change; it ends on an API
        # server restart (retried) or at the deadline.
        exec {watch}< <(exec timeout "$(seconds_left "$deadline")" "$K3S" kubectl get nodes --watch -o jsonpath="$line" 2>/dev/null)
        pid=$!
        if previous_batch_back <&"$watch"; then
            kill "$pid" 2>/dev/null || true
            exec {watch}<&-
            echo "previous batch back at $target: $AFTER_NODES"
            return 0
        fi
        exec {watch}<&-
        sleep "$POLL_INTERVAL"
    done
    return 1
}

drain() {
    kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s"
}

# namespace/name of each single-instance CloudNativePG cluster with a pod on
# the node; fails if the API server did not answer (a cluster deleted
# meanwhile is skipped).
single_instance_pg() {
    local pods ref ns name instances
    pods="$(answered get pods -A --field-selector "spec.nodeName=$NODE_NAME" -l cnpg.io/cluster \
        -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.labels.cnpg\.io/cluster}{"\n"}{end}')" || return 1
    while IFS= read -r ref; do
        [ -n "$ref" ] || continue
        ns="${ref%%/*}" name="${ref#*/}"
        instances="$(answered -n "$ns" get clusters.postgresql.cnpg.io "$name" -o jsonpath='{.spec.instances}')" || [ $? = 1 ] || return 1
        if [ "$instances" = 1 ]; then echo "$ref"; fi
    done < <(sort -u <<<"$pods")
}

maintenance() {
    local ref="$1" on="$2"
    kubectl -n "${ref%%/*}" patch clusters.postgresql.cnpg.io "${ref#*/}" --type=merge \
        -p "{\"spec\":{\"nodeMaintenanceWindow\":{\"inProgress\":$on,\"reusePVC\":true}}}" >/dev/null
}

# Puts the node back as it was and explains what blocked the drain.
blocked() {
    local output="$1" budgets
    kubectl uncordon "$NODE_NAME" >/dev/null || true
    kubectl annotate node "$NODE_NAME" "picluster.io/drained-for-" "$MAINTENANCE_KEY-" >/dev/null || true
    for ref in "${windows[@]}"; do maintenance "$ref" false || true; done
    {
        if grep -q "disruption budget" <<<"$output"; then
            budgets="$(kubectl get pdb -A -o jsonpath='{range .items[?(@.status.disruptionsAllowed==0)]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null || true)"
            echo "drain of $NODE_NAME blocked within ${DRAIN_TIMEOUT}s by PodDisruptionBudget ${budgets:-(unknown)}(0 disruptions allowed)."
            echo "Choices: run a second replica so a pod can move; for a CloudNativePG cluster set spec.nodeMaintenanceWindow {inProgress: true, reusePVC: true};"
            echo "or accept the downtime and delete the blocking pod by hand; then run the update again."
        else
            echo "drain of $NODE_NAME failed within ${DRAIN_TIMEOUT}s:"
            tail -n 5 <<<"$output"
        fi
        echo "$NODE_NAME was uncordoned again; k3s on it was not upgraded."
    } >&2
    exit 1
}

# The minor of a version such as v1.33.5+k3s1 (33), or nothing.
minor_of() {
    local v="${1#v}"
    [[ "$v" =~ ^1\.([0-9]+)\. ]] && echo "${BASH_REMATCH[1]}"
}

# k3s upgrades one minor at a time (Kubernetes' version-skew policy lets no
# control plane skip a minor), and a minor never goes back. Refused before
# the node is marked or cordoned, naming the pins to apply in turn.
refuse_skipped_minor() {
    local from to m steps=()
    from="$(minor_of "$1")" || return 0
    to="$(minor_of "$2")" || return 0
    if [ "$to" -lt "$from" ]; then
        echo "k3sVersion $2 goes back from $1 (on $NODE_NAME): k3s cannot downgrade a minor; pin a v1.$from release again. Nothing was drained." >&2
        exit 1
    fi
    if [ "$to" -gt $((from + 1)) ]; then
        for ((m = from + 1; m < to; m++)); do steps+=("v1.$m.x+k3sN"); done
        echo "k3sVersion $2 skips a minor: $NODE_NAME runs $1, and k3s upgrades one minor at a time. Pin and apply, in turn: ${steps[*]} (the newest patch of each), then $2. Nothing was drained." >&2
        exit 1
    fi
}

case "$MODE" in
    drain)
        target="${TARGET_VERSION:?TARGET_VERSION is required with MODE=drain}"
        if [ "$running" = "$target" ]; then
            echo "node $NODE_NAME already runs $target; not draining"
            exit 0
        fi
        refuse_skipped_minor "$running" "$target"
        # What the drain needs besides the previous batch, the mark that tells
        # node-ready.sh to uncordon and the node's single-instance
        # CloudNativePG clusters, is gathered while that batch restarts, so
        # once it is back only the drain is left. Those pods do not move
        # meanwhile: the previous batch's single-instance clusters are in
        # their maintenance windows, which keep each on its own node.
        answered annotate node "$NODE_NAME" --overwrite "picluster.io/drained-for=$target" >/dev/null &
        marking=$!
        found="$(mktemp)"
        single_instance_pg >"$found" &
        reading=$!
        if ! wait_previous_batch; then
            wait "$marking" || true
            kubectl annotate node "$NODE_NAME" "picluster.io/drained-for-" >/dev/null || true
            echo "the previous upgrade batch ($AFTER_NODES) was not Ready at $target within ${READY_TIMEOUT}s; $NODE_NAME was not drained (see the previous batch's own errors)" >&2
            exit 1
        fi
        if ! wait "$marking" || ! wait "$reading"; then
            kubectl annotate node "$NODE_NAME" "picluster.io/drained-for-" >/dev/null || true
            echo "$NODE_NAME was not drained: it could not be marked, or its CloudNativePG pods read (above)" >&2
            exit 1
        fi
        windows=()
        while IFS= read -r ref; do [ -z "$ref" ] || windows+=("$ref"); done <"$found"
        rm -f "$found"
        for ref in "${windows[@]}"; do
            maintenance "$ref" true
            echo "CloudNativePG cluster $ref: node maintenance window opened (single instance, PVC reused)"
        done
        if [ "${#windows[@]}" -gt 0 ]; then
            kubectl annotate node "$NODE_NAME" --overwrite "$MAINTENANCE_KEY=$(IFS=,; echo "${windows[*]}")" >/dev/null
        fi
        if ! output="$(drain 2>&1)"; then blocked "$output"; fi
        printf '%s\n' "$output"
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

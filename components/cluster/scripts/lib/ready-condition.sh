# shellcheck shell=bash
# Included into node scripts (see lib/k3s-path.sh). Prints the Node's Ready
# condition ("True", "False", or "" when it cannot tell): a server asks with
# its admin kubeconfig, an agent with its kubelet's (allowed to read its own
# Node). node-observe.sh reports it and node-repair.sh acts on it, so both
# read it the same way. Uses K3S, ROOT, ROLE, NODE_NAME and kubelet_kubeconfig
# (lib/k3s-path.sh, included first).
ready_condition() {
    local args=(get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' --request-timeout=5s)
    local kubelet
    kubelet="$(kubelet_kubeconfig)"
    if [ "$ROLE" = agent ]; then
        [ -f "$kubelet" ] || return 0
        args+=(--kubeconfig "$kubelet")
    fi
    "$K3S" kubectl "${args[@]}" 2>/dev/null || true
}

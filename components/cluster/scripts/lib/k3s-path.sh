# shellcheck shell=bash
# Included into node scripts (nodeScripts.ts inlines it; run from a file, the
# script sources it). Prints the k3s binary by absolute path where the
# installer puts it (/usr/local/bin, or /opt/bin when that is read-only):
# sudo's secure_path on RHEL-family systems lacks /usr/local/bin, so `k3s`
# alone is not enough. Fails when neither place has it.
k3s_path() {
    local dir
    for dir in "${ROOT:-}/usr/local/bin" "${ROOT:-}/opt/bin"; do
        if [ -x "$dir/k3s" ]; then
            printf '%s\n' "$dir/k3s"
            return 0
        fi
    done
    return 1
}

# The kubeconfig k3s writes for the node's kubelet on every node, servers and
# agents (`system:node:<name>`: the Node authorizer lets it read Node
# objects), under DATA_DIR (default /var/lib/rancher/k3s).
kubelet_kubeconfig() {
    printf '%s\n' "${ROOT:-}${DATA_DIR:-/var/lib/rancher/k3s}/agent/kubelet.kubeconfig"
}

# k3s_path, or exit naming the places looked in.
require_k3s() {
    k3s_path || {
        echo "k3s is not installed on this node (looked in /usr/local/bin and /opt/bin)" >&2
        exit 1
    }
}

#!/usr/bin/env bash
# The API server's virtual IP on the first server: kube-vip's manifest in
# k3s's auto-deploy directory, and the wait until the VIP answers. Runs as
# root.
#
#   MODE=place   write the manifest from stdin to
#                <data-dir>/server/manifests/picluster-kube-vip.yaml (root,
#                0600, replaced atomically; "unchanged" when equal). k3s
#                applies it on start and whenever the file changes, so it
#                runs before the first server's install.
#   MODE=remove  delete what the manifest made (k3s does not when the file
#                goes) while the API answers, then the file. Without k3s
#                (the node was uninstalled first) only the file.
#   MODE=wait    until something accepts TCP on VIP:PORT: kube-vip runs and
#                announces the VIP. At most READY_TIMEOUT seconds; each try
#                is bounded (an unannounced address answers no ARP, and a
#                connect would wait for the kernel's own timeout).
#
# Inputs (environment): MODE, DATA_DIR (default /var/lib/rancher/k3s); for
# wait VIP, PORT (default 6443), READY_TIMEOUT (seconds, default 300),
# POLL_INTERVAL (seconds, default 1). PICLUSTER_ROOT prefixes file paths,
# for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:?MODE is required (place|remove|wait)}"
DATA_DIR="${DATA_DIR:-/var/lib/rancher/k3s}"
MANIFESTS="$ROOT$DATA_DIR/server/manifests"
FILE="$MANIFESTS/picluster-kube-vip.yaml"

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include

place() {
    local new
    umask 077
    mkdir -p "$MANIFESTS"
    # Beside the directory, not in it: k3s watches it. Same filesystem, so the mv is a rename.
    new="$(mktemp "$MANIFESTS/../.picluster-kube-vip.XXXXXX")"
    cat >"$new"
    if [ -f "$FILE" ] && cmp -s "$new" "$FILE"; then
        rm -f "$new"
        echo "kube-vip manifest unchanged"
        return 0
    fi
    chmod 600 "$new"
    mv -f "$new" "$FILE"
    echo "kube-vip manifest written to $FILE"
}

remove() {
    local k3s
    [ -f "$FILE" ] || {
        echo "no kube-vip manifest; nothing to remove"
        return 0
    }
    if k3s="$(k3s_path)" && timeout 10 "$k3s" kubectl get --raw /readyz >/dev/null 2>&1; then
        timeout 60 "$k3s" kubectl delete --ignore-not-found -f "$FILE"
        # k3s's AddOn type; an API server without it (the e2e suite's) has no AddOn to delete.
        if timeout 10 "$k3s" kubectl get crd addons.k3s.cattle.io >/dev/null 2>&1; then
            timeout 30 "$k3s" kubectl -n kube-system delete addon picluster-kube-vip --ignore-not-found
        fi
    else
        echo "k3s does not answer here; removing the manifest file only"
    fi
    rm -f "$FILE"
    echo "kube-vip manifest removed"
}

wait_for_vip() {
    local vip="${VIP:?VIP is required}" port="${PORT:-6443}" timeout_s="${READY_TIMEOUT:-300}" interval="${POLL_INTERVAL:-1}"
    local deadline=$((SECONDS + timeout_s))
    # shellcheck disable=SC2016 # $0 and $1 are the inner bash's arguments (the VIP and port), expanded there
    until timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$vip" "$port" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "the API VIP $vip:$port did not answer within ${timeout_s}s: kube-vip has not announced it." >&2
            echo "Check on a server: k3s kubectl -n kube-system get ds kube-vip-ds; k3s kubectl -n kube-system logs ds/kube-vip-ds (its image pulled? cluster.apiVipInterface right? the VIP free on the LAN?)" >&2
            exit 1
        fi
        sleep "$interval"
    done
    echo "API VIP $vip:$port answers"
}

case "$MODE" in
    place) place ;;
    remove) remove ;;
    wait) wait_for_vip ;;
    *)
        echo "unknown MODE '$MODE' (place|remove|wait)" >&2
        exit 2
        ;;
esac

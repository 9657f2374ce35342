#!/usr/bin/env bash
# The e2e suite's stand-in for cert-manager's webhook pod, which never runs
# here (no kubelet): its chart hard-codes failurePolicy Fail on the mutating
# and validating webhooks, so every Issuer and Certificate would be refused
# with "no endpoints". A loop sets failurePolicy Ignore on the webhook
# configurations of the cert-manager release as soon as Helm makes them,
# leaving the real CRDs' schemas alone to judge each object. Each patch is
# logged.
#
#   webhooks.sh start DIR KUBECONFIG   run the loop in the background; DIR/webhooks.log
#                                      gets one `<kind>/<name>` line per patched configuration
#   webhooks.sh stop DIR
set -euo pipefail

die() {
    echo "webhooks.sh: $*" >&2
    exit 1
}

# Prints `kind/name count` for each cert-manager webhook configuration with a webhook not yet Ignore.
pending() { # KUBECONFIG
    kubectl --kubeconfig "$1" get mutatingwebhookconfigurations,validatingwebhookconfigurations \
        -l app.kubernetes.io/instance=cert-manager -o json 2>/dev/null | jq -r '
        .items[]
        | select([.webhooks[]? | select(.failurePolicy != "Ignore")] | length > 0)
        | "\(.kind | ascii_downcase)/\(.metadata.name) \(.webhooks | length)"'
}

ignore() { # KUBECONFIG KIND/NAME COUNT
    local patch
    patch=$(jq -cn --argjson n "$3" '[range(0; $n) | {op: "replace", path: "/webhooks/\(.)/failurePolicy", value: "Ignore"}]')
    kubectl --kubeconfig "$1" patch "$2" --type=json -p "$patch" >/dev/null
}

loop() { # DIR KUBECONFIG
    local dir=$1 kc=$2 name n
    while :; do
        while read -r name n; do
            [ -n "$name" ] || continue
            if ignore "$kc" "$name" "$n" 2>>"$dir/webhooks.err"; then echo "$name" >>"$dir/webhooks.log"; fi
        done < <(pending "$kc")
        sleep 0.2
    done
}

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then die "usage: webhooks.sh start DIR KUBECONFIG | stop DIR"; fi
case "$cmd" in
    start)
        kc=${3:?start needs KUBECONFIG}
        command -v jq >/dev/null || die "jq is not installed (apt-get install -y jq)"
        mkdir -p "$dir"
        : >"$dir/webhooks.log"
        setsid "$0" loop "$dir" "$kc" </dev/null >/dev/null 2>&1 &
        echo $! >"$dir/webhooks.pid"
        ;;
    loop) loop "$dir" "${3:?}" ;;
    stop)
        [ -f "$dir/webhooks.pid" ] || exit 0
        kill -- "-$(cat "$dir/webhooks.pid")" 2>/dev/null || kill "$(cat "$dir/webhooks.pid")" 2>/dev/null || true
        rm -f "$dir/webhooks.pid"
        ;;
    *) die "unknown command '$cmd' (start|stop)" ;;
esac

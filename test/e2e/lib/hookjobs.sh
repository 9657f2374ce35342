#!/usr/bin/env bash
# The e2e suite's stand-in for what would run a Helm hook's Job to
# completion: no kubelet, scheduler or Job controller runs here, yet helm
# waits for every hook Job (e.g. kube-prometheus-stack's admission-webhook
# certificate Jobs, pre- and post-install) to finish, --wait or not.
#
# A loop marks each Job that carries a `helm.sh/hook` annotation complete
# through its status subresource, with the status the Job controller of
# Kubernetes 1.34 writes when a Job's pods succeed: startTime,
# completionTime, succeeded = completions, and the SuccessCriteriaMet and
# Complete conditions (the API server refuses Complete without
# SuccessCriteriaMet). Jobs without the annotation (the program's own, the
# orchestrator's) are never touched. Each Job it completes is logged.
#
#   hookjobs.sh start DIR KUBECONFIG   run the loop in the background; DIR/hookjobs.log
#                                      gets one `<namespace>/<name> <hook>` line per Job
#   hookjobs.sh stop DIR
set -euo pipefail

die() {
    echo "hookjobs.sh: $*" >&2
    exit 1
}

# Prints `namespace name completions hook` for each hook Job not yet complete.
pending() { # KUBECONFIG
    kubectl --kubeconfig "$1" get jobs -A -o json 2>/dev/null | jq -r '
        .items[]
        | select(.metadata.annotations["helm.sh/hook"] != null)
        | select([.status.conditions[]? | select(.type == "Complete" and .status == "True")] | length == 0)
        | "\(.metadata.namespace) \(.metadata.name) \(.spec.completions // 1) \(.metadata.annotations["helm.sh/hook"])"'
}

complete() { # KUBECONFIG NAMESPACE NAME COMPLETIONS
    local now status
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    status=$(jq -cn --arg now "$now" --argjson n "$4" '{status: {
        startTime: $now, completionTime: $now, active: 0, ready: 0, terminating: 0, succeeded: $n,
        conditions: [
            {type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastProbeTime: $now, lastTransitionTime: $now},
            {type: "Complete", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastProbeTime: $now, lastTransitionTime: $now}
        ]}}')
    kubectl --kubeconfig "$1" -n "$2" patch job "$3" --subresource=status --type=merge -p "$status" >/dev/null
}

loop() { # DIR KUBECONFIG
    local dir=$1 kc=$2 ns name n hook
    while :; do
        while read -r ns name n hook; do
            [ -n "$name" ] || continue
            if complete "$kc" "$ns" "$name" "$n" 2>>"$dir/hookjobs.err"; then
                echo "$ns/$name $hook" >>"$dir/hookjobs.log"
            fi
        done < <(pending "$kc")
        sleep 0.5
    done
}

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then die "usage: hookjobs.sh start DIR KUBECONFIG | stop DIR"; fi
case "$cmd" in
    start)
        kc=${3:?start needs KUBECONFIG}
        command -v jq >/dev/null || die "jq is not installed (apt-get install -y jq)"
        mkdir -p "$dir"
        : >"$dir/hookjobs.log"
        setsid "$0" loop "$dir" "$kc" </dev/null >/dev/null 2>&1 &
        echo $! >"$dir/hookjobs.pid"
        ;;
    loop) loop "$dir" "${3:?}" ;;
    stop)
        [ -f "$dir/hookjobs.pid" ] || exit 0
        kill -- "-$(cat "$dir/hookjobs.pid")" 2>/dev/null || kill "$(cat "$dir/hookjobs.pid")" 2>/dev/null || true
        rm -f "$dir/hookjobs.pid"
        ;;
    *) die "unknown command '$cmd' (start|stop)" ;;
esac

#!/usr/bin/env bash
# podstandin.sh KUBECONFIG NAMESPACE DEPLOYMENT [TIMEOUT_SECONDS]
#
# The ReplicaSet controller's part for one Deployment, which the e2e API
# server does not run: waits until the Deployment exists, then creates one
# Pod from its pod template, owned by it (the garbage collector removes the
# Pod with it). No scheduler runs either, so the Pod stays Pending and
# unscheduled: what a release whose pod cannot start looks like here.
# Prints the Pod's name.
set -euo pipefail
kc=$1 ns=$2 name=$3 timeout=${4:-120}
k() { kubectl --kubeconfig "$kc" "$@"; }
deadline=$(($(date +%s) + timeout))
until k -n "$ns" get deployment "$name" -o name >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "podstandin.sh: no deployment $ns/$name after ${timeout}s" >&2
        exit 1
    fi
    sleep 1
done
k -n "$ns" get deployment "$name" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["spec"]["template"]
meta = d["metadata"]
print(json.dumps({
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": meta["name"] + "-e2e-standin",
        "namespace": meta["namespace"],
        "labels": t["metadata"].get("labels", {}),
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"], "uid": meta["uid"]}],
    },
    "spec": t["spec"],
}))
' | k create -f - -o name

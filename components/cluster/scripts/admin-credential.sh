#!/usr/bin/env bash
# Runs on the first server: the program's own cluster credential, one that
# does not expire (the client certificate in k3s.yaml is valid for a year,
# and k3s renews only its copy on disk). Runs as root.
#
#   MODE=create  apply the ServiceAccount kube-system/picluster-admin, its
#                cluster-admin binding and a long-lived token Secret; wait
#                (up to READY_TIMEOUT) until the token controller fills it;
#                print the token (base64, as stored) on stdout
#   MODE=delete  delete the token Secret, the binding and the account
#
# Rotation is delete then create: the Secret is new, so is the token; nothing
# else in the cluster changes. Inputs (environment): MODE, READY_TIMEOUT
# (seconds, default 120), POLL_INTERVAL (seconds, default 2).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
MODE="${MODE:?MODE is required (create|delete)}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
POLL_INTERVAL="${POLL_INTERVAL:-2}"
NAME=picluster-admin

# shellcheck source=components/cluster/scripts/lib/k3s-path.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/k3s-path.sh" # picluster:include
K3S=$(require_k3s) || exit 1
kubectl() { "$K3S" kubectl "$@"; }

case "$MODE" in
    create)
        kubectl apply -f - >/dev/null <<MANIFEST
apiVersion: v1
kind: ServiceAccount
metadata: { name: $NAME, namespace: kube-system, labels: { app.kubernetes.io/managed-by: picluster } }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: $NAME, labels: { app.kubernetes.io/managed-by: picluster } }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: $NAME, namespace: kube-system }]
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: $NAME-token
  namespace: kube-system
  labels: { app.kubernetes.io/managed-by: picluster }
  annotations: { kubernetes.io/service-account.name: $NAME }
MANIFEST
        deadline=$((SECONDS + READY_TIMEOUT))
        while :; do
            token="$(kubectl -n kube-system get secret "$NAME-token" -o jsonpath='{.data.token}' 2>/dev/null || true)"
            if [ -n "$token" ]; then
                printf '%s\n' "$token"
                exit 0
            fi
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "kube-system/$NAME-token got no token within ${READY_TIMEOUT}s; is the token controller of kube-controller-manager running?" >&2
                exit 1
            fi
            sleep "$POLL_INTERVAL"
        done
        ;;
    delete)
        kubectl -n kube-system delete secret "$NAME-token" --ignore-not-found >/dev/null
        kubectl delete clusterrolebinding "$NAME" --ignore-not-found >/dev/null
        kubectl -n kube-system delete serviceaccount "$NAME" --ignore-not-found >/dev/null
        echo "admin credential deleted"
        ;;
    *)
        echo "unknown MODE '$MODE' (create|delete)" >&2
        exit 2
        ;;
esac

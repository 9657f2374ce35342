#!/usr/bin/env bash
# A throwaway Kubernetes control plane for end-to-end tests: etcd,
# kube-apiserver and (when on PATH) kube-controller-manager running only the
# garbage-collector, namespace, service-account-token, resource-quota,
# disruption and PVC-protection controllers, on 127.0.0.1 only, with
# certificates made by openssl. Without the first two a delete never
# completes (Pulumi deletes with foreground propagation, namespaces keep
# their "kubernetes" finalizer), so `pulumi destroy` would hang; the token
# controller fills kubernetes.io/service-account-token Secrets (token signed
# with pki/sa.key, ca.crt); the quota controller computes ResourceQuota
# status, without which the ResourceQuota admission plugin refuses every
# object a quota counts; the disruption controller computes
# PodDisruptionBudget status, which the eviction API (kubectl drain) checks.
# The PVC-protection controller removes the kubernetes.io/pvc-protection
# finalizer the API server puts on every PersistentVolumeClaim once no pod
# uses it (none does here); without it a chart's PVC (Ollama's) never goes
# and its namespace stays Terminating.
# There is no scheduler or kubelet: objects are stored and validated, but pods
# never run (stacks must not wait for readiness: pulumi.com/skipAwait,
# skipAwait on helm releases); the k3s stub plays the kubelet's part for pods
# bound to its node (test/e2e/fixtures/k3s-stub.sh).
#
# Interface (binaries come from PATH: eval "$(scripts/toolchain.sh --env)"):
#   test/e2e/lib/apiserver.sh start DIR   start etcd + kube-apiserver, state under DIR
#                                         (created; must not hold a running plane);
#                                         returns once /readyz answers ok (<= 90 s)
#   test/e2e/lib/apiserver.sh stop DIR    stop them all and wait for them to exit
#   test/e2e/lib/apiserver.sh env DIR     print `export KUBECONFIG=DIR/kubeconfig`
# After start, DIR holds:
#   kubeconfig        cluster-admin (O=system:masters client cert), context "e2e"
#   port              the apiserver's secure port; server is https://127.0.0.1:$(cat port)
#   pki/              ca.crt, admin.{crt,key}, server.{crt,key}, sa.{key,pub}
#   etcd.log, kube-apiserver.log, kube-controller-manager.log, *.pid
# Ports are chosen free at start; APISERVER_PORT / ETCD_PORT override them.
# Sourcing the file defines apiserver_start / apiserver_stop / apiserver_env
# (and sets no shell options).

_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_pki() { # DIR
  local p=$1/pki
  mkdir -p "$p"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=picluster-e2e-ca" \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout server.key -out server.csr
    # 127.0.0.2: the API VIP of test/e2e/steps/apiVip.ts (k3s puts a VIP in its
    # certificate from tls-san; this API server stands in for k3s's).
    printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=e2e-admin" -keyout admin.key -out admin.csr
    printf 'extendedKeyUsage=clientAuth\n' > admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile admin.ext -out admin.crt
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) > "$1/pki.log" 2>&1
}

_kubeconfig() { # DIR PORT
  local d=$1 port=$2
  cat > "$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(base64 -w0 < "$d/pki/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $(base64 -w0 < "$d/pki/admin.crt")
    client-key-data: $(base64 -w0 < "$d/pki/admin.key")
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
  chmod 600 "$d/kubeconfig"
}

_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

apiserver_start() {
  local d=${1:?usage: apiserver_start DIR}
  mkdir -p "$d"; d=$(cd "$d" && pwd)
  if _alive "$d/kube-apiserver.pid" || _alive "$d/etcd.pid" || _alive "$d/kube-controller-manager.pid"; then
    echo "apiserver.sh: a control plane is already running in $d" >&2; return 1
  fi
  local bin
  for bin in etcd kube-apiserver openssl python3; do
    command -v "$bin" >/dev/null || { echo "apiserver.sh: $bin not on PATH" >&2; return 1; }
  done
  local etcd_port=${ETCD_PORT:-$(_free_port)} peer_port port=${APISERVER_PORT:-$(_free_port)}
  peer_port=$(_free_port)
  [[ -f $d/pki/admin.crt ]] || _pki "$d"
  echo "$port" > "$d/port"
  _kubeconfig "$d" "$port"

  rm -rf "$d/etcd-data"
  etcd --name e2e --data-dir "$d/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" \
    > "$d/etcd.log" 2>&1 &
  echo $! > "$d/etcd.pid"
  local i
  for ((i = 0; i < 60; i++)); do
    curl -fsS --max-time 1 "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break
    _alive "$d/etcd.pid" || { echo "apiserver.sh: etcd exited; see $d/etcd.log" >&2; tail -n 20 "$d/etcd.log" >&2; return 1; }
    sleep 0.5
  done

  # As controller-runtime's envtest does, plus: no ServiceAccount admission
  # (no controller-manager creates the default service accounts) and no
  # endpoint reconciler (it rejects the loopback address for the kubernetes
  # service's endpoints). Aggregator routing: the API server reaches a
  # webhook's Service through its Endpoints, not by resolving
  # <svc>.<ns>.svc in DNS, so a chart's webhook (whose pod never runs here)
  # fails at once with no endpoints instead of sending a DNS query and a
  # connection off this machine. Authorization Node,RBAC, as k3s's: a node's
  # own credential (system:node:<name>) reads Node objects.
  kube-apiserver \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
    --cert-dir "$d/pki" --tls-cert-file "$d/pki/server.crt" --tls-private-key-file "$d/pki/server.key" \
    --client-ca-file "$d/pki/ca.crt" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$d/pki/sa.pub" \
    --service-account-signing-key-file "$d/pki/sa.key" \
    --disable-admission-plugins ServiceAccount \
    --endpoint-reconciler-type none \
    --allow-privileged=true \
    --enable-aggregator-routing=true \
    > "$d/kube-apiserver.log" 2>&1 &
  echo $! > "$d/kube-apiserver.pid"

  for ((i = 0; i < 180; i++)); do
    if curl -fsS --max-time 2 --cacert "$d/pki/ca.crt" --cert "$d/pki/admin.crt" --key "$d/pki/admin.key" \
      "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      _controller_manager "$d"
      return 0
    fi
    if ! _alive "$d/kube-apiserver.pid" || ! _alive "$d/etcd.pid"; then
      echo "apiserver.sh: a process exited; see $d/etcd.log and $d/kube-apiserver.log" >&2
      tail -n 20 "$d/kube-apiserver.log" >&2 || true
      apiserver_stop "$d"; return 1
    fi
    sleep 0.5
  done
  echo "apiserver.sh: /readyz not ok after 90 s; see $d/kube-apiserver.log" >&2
  apiserver_stop "$d"; return 1
}

_controller_manager() { # DIR
  local d=$1
  if ! command -v kube-controller-manager >/dev/null; then
    echo "apiserver.sh: kube-controller-manager not on PATH: deletes will not complete" >&2
    return 0
  fi
  kube-controller-manager \
    --kubeconfig "$d/kubeconfig" \
    --controllers garbagecollector,namespace,serviceaccount-token,resourcequota,disruption,pvc-protection \
    --service-account-private-key-file "$d/pki/sa.key" \
    --root-ca-file "$d/pki/ca.crt" \
    --leader-elect=false \
    --bind-address 127.0.0.1 --secure-port 0 \
    > "$d/kube-controller-manager.log" 2>&1 &
  echo $! > "$d/kube-controller-manager.pid"
}

apiserver_stop() {
  local d=${1:?usage: apiserver_stop DIR} name pid i
  for name in kube-controller-manager kube-apiserver etcd; do
    [[ -f $d/$name.pid ]] || continue
    pid=$(cat "$d/$name.pid")
    if kill "$pid" 2>/dev/null; then
      for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$d/$name.pid"
  done
}

apiserver_env() { printf 'export KUBECONFIG=%q\n' "$(cd "${1:?}" && pwd)/kubeconfig"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case "${1-}" in
    start) apiserver_start "${2:?usage: $0 start DIR}" ;;
    stop) apiserver_stop "${2:?usage: $0 stop DIR}" ;;
    env) apiserver_env "${2:?usage: $0 env DIR}" ;;
    *) sed -n '2,29p' "$0" >&2; exit 2 ;;
  esac
fi

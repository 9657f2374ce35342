#!/usr/bin/env bash
# SSH "nodes" for the end-to-end suite: one sshd per node on 127.0.0.1, each
# in its own mount and UTS namespace, so that each node has its own
# /etc/rancher, /var/lib/rancher, /usr/local/bin, /usr/local/sbin,
# /etc/hostname, /etc/machine-id and /etc/hosts and the nodes never see each
# other's files. Logins are as root with one client key; sudo must be
# installed (the program always goes through `sudo -n`).
#
#   nodes.sh start DIR NAME...   start (or keep running) the named nodes;
#                                first start creates DIR/nodes/NAME and keys
#   nodes.sh stop DIR [NAME...]  stop the named nodes (default: all)
#   nodes.sh status DIR          NAME PORT running|stopped, one line each
#
# DIR/client_key is the private key for every node; DIR/nodes/NAME holds
#   port, host_key.pub (the pin for cluster.nodes[].hostKey), sshd.log
#   (LogLevel VERBOSE: one "Accepted publickey" line per connection),
#   root/ (the private directories, readable from outside for assertions).
# Each node's /usr/local/sbin carries a `timedatectl` that reports a
# synchronised clock (the machine has no systemd) and logs its calls to
# DIR/calls.log, so pre-flight runs are visible there too.
set -euo pipefail

# Directories every node gets privately, as NAME under root/.
PRIVATE_DIRS=(/etc/rancher /var/lib/rancher /usr/local/bin /usr/local/sbin)

die() {
    echo "nodes.sh: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

private_name() { printf '%s' "${1#/}" | tr / -; }

require() {
    local bin
    for bin in /usr/sbin/sshd ssh-keygen unshare sudo python3 mount; do
        command -v "$bin" >/dev/null 2>&1 || die "$bin is missing (apt-get install -y openssh-server sudo util-linux)"
    done
    [ "$(id -u)" -eq 0 ] || die "must run as root (mount namespaces and sshd)"
}

setup_node() {
    local dir=$1 name=$2 n="$1/nodes/$2" d
    [ -f "$n/sshd_config" ] && return 0
    mkdir -p "$n/root"
    chmod 700 "$n"
    for d in "${PRIVATE_DIRS[@]}"; do mkdir -p "$n/root/$(private_name "$d")"; done
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$n/host_key"
    cut -d' ' -f1,2 "$n/host_key.pub" >"$n/host_key.pin"
    cp "$dir/client_key.pub" "$n/authorized_keys"
    printf '%s\n' "$name" >"$n/hostname"
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$n/machine-id"
    echo >>"$n/machine-id"
    printf '127.0.0.1 localhost %s\n::1 localhost\n' "$name" >"$n/hosts"
    cat >"$n/root/usr-local-sbin/timedatectl" <<EOF
#!/bin/sh
# The e2e node's clock is the host's; report it synchronised as timesyncd would.
printf '%s node=%s event=timedatectl args=%s\n' "\$(date +%s.%N)" "$name" "\$*" >>"$dir/calls.log"
case "\$*" in
    *NTPSynchronized*) echo yes ;;
    *) echo "timedatectl stub: only 'show -p NTPSynchronized --value'" >&2; exit 1 ;;
esac
EOF
    chmod 755 "$n/root/usr-local-sbin/timedatectl"
    free_port >"$n/port"
    cat >"$n/sshd_config" <<EOF
Port $(cat "$n/port")
ListenAddress 127.0.0.1
HostKey $n/host_key
PidFile $n/sshd.pid
AuthorizedKeysFile $n/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 100
PrintMotd no
EOF
}

running() { [ -f "$1/sshd.pid" ] && kill -0 "$(cat "$1/sshd.pid")" 2>/dev/null; }

start_node() {
    local dir=$1 name=$2 n="$1/nodes/$2" d i mounts=""
    setup_node "$dir" "$name"
    if running "$n"; then return 0; fi
    rm -f "$n/sshd.pid"
    for d in "${PRIVATE_DIRS[@]}"; do
        mkdir -p "$d" # the mount point must exist on the host; it stays empty there
        mounts+="mount --bind '$n/root/$(private_name "$d")' '$d'; "
    done
    for d in hostname machine-id hosts; do mounts+="mount --bind '$n/$d' '/etc/$d'; "; done
    mkdir -p /run/sshd
    # setsid: the node outlives the shell that started it; it is stopped by pid.
    setsid unshare --mount --uts --propagation private -- \
        bash -c "set -e; $mounts hostname '$name'; exec /usr/sbin/sshd -D -f '$n/sshd_config' -E '$n/sshd.log'" \
        </dev/null >>"$n/sshd.log" 2>&1 &
    for ((i = 0; i < 100; i++)); do
        if running "$n" && (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$n/port")") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    tail -n 5 "$n/sshd.log" >&2 || true
    die "sshd of node $name did not start; see $n/sshd.log"
}

stop_node() {
    local n="$1/nodes/$2" pid i
    [ -f "$n/sshd.pid" ] || return 0
    pid=$(cat "$n/sshd.pid")
    if kill "$pid" 2>/dev/null; then
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$n/sshd.pid"
}

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    sed -n '2,20p' "$0" >&2
    exit 2
fi
shift 2
case "$cmd" in
    start)
        require
        [ $# -gt 0 ] || die "start needs at least one node name"
        mkdir -p "$dir/nodes"
        dir=$(cd "$dir" && pwd)
        [ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C picluster-e2e -f "$dir/client_key"
        touch "$dir/calls.log"
        for name in "$@"; do start_node "$dir" "$name"; done
        ;;
    stop)
        [ -d "$dir/nodes" ] || exit 0
        if [ $# -eq 0 ]; then
            for n in "$dir"/nodes/*/; do set -- "$@" "$(basename "$n")"; done
        fi
        for name in "$@"; do stop_node "$dir" "$name"; done
        ;;
    status)
        for n in "$dir"/nodes/*/; do
            n=${n%/}
            if running "$n"; then s=running; else s=stopped; fi
            echo "$(basename "$n") $(cat "$n/port") $s"
        done
        ;;
    *) die "unknown command '$cmd' (start|stop|status)" ;;
esac

#!/usr/bin/env bash
# SSH "nodes" for the end-to-end suite: one sshd per node on 127.0.0.1, each
# in its own mount and UTS namespace, so that each node has its own
# /etc/rancher, /var/lib/rancher, /usr/local/bin, /usr/local/sbin,
# /etc/hostname, /etc/machine-id and /etc/hosts and the nodes never see each
# other's files. Logins use one client key, as root unless the node is
# named NAME:USER; sudo must be installed (the program always goes through
# `sudo -n`).
#
#   nodes.sh start DIR NAME[:USER]...  start (or keep running) the named nodes;
#                                first start creates DIR/nodes/NAME and keys
#   nodes.sh stop DIR [NAME...]  stop the named nodes (default: all)
#   nodes.sh status DIR          NAME PORT running|stopped, one line each
#   nodes.sh exec DIR NAME -- CMD...  run CMD as root in a fresh namespace
#                                with NAME's private files (script tests)
#
# A node started as NAME:USER (first start only; the user is remembered)
# logs in as USER, a non-root account with passwordless sudo that exists only
# inside that node's mount namespace: private copies of /etc/passwd,
# /etc/group, /etc/shadow (the host's plus USER) and /etc/sudoers.d (the
# host's plus USER's NOPASSWD rule), and a private /home with USER's home and
# .ssh/authorized_keys. The host's files are never changed.
#
# DIR/client_key is the private key for every node; DIR/nodes/NAME holds
#   port, host_key.pub (the pin for cluster.nodes[].hostKey), sshd.log
#   (LogLevel VERBOSE: one "Accepted publickey for USER" line per connection),
#   user (the login user), root/ (the private directories, readable from
#   outside for assertions).
# Each node's /usr/local/sbin carries a `timedatectl` that reports a
# synchronised clock (the machine has no systemd) and logs its calls, with
# the calling user, to DIR/calls.log, so pre-flight runs are visible there too.
# Its `systemctl` and `journalctl` are the stubs in test/e2e/fixtures (state
# in DIR/nodes/NAME/systemd): they run the units the real k3s install.sh
# writes into the node's private /etc/systemd/system. `ip` and the iptables
# save/restore tools are no-ops there: the nodes share the host's network,
# which k3s-killall.sh must not clean up. Stopping a node stops its units;
# starting it starts its enabled units again, as a boot would.
set -euo pipefail

# Directories every node gets privately, as NAME under root/.
PRIVATE_DIRS=(/etc/rancher /var/lib/rancher /var/lib/picluster /usr/local/bin /usr/local/sbin /etc/systemd/system /var/tmp)
FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)"

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
    for bin in /usr/sbin/sshd ssh-keygen unshare sudo python3 mount curl; do
        command -v "$bin" >/dev/null 2>&1 || die "$bin is missing (apt-get install -y openssh-server sudo util-linux curl)"
    done
    [ "$(id -u)" -eq 0 ] || die "must run as root (mount namespaces and sshd)"
}

# A uid and gid free on the host (the account exists only in the node).
free_uid() {
    local id=4200
    while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id + 1)); done
    echo "$id"
}

# USER's account, sudo rule and home, in files bind-mounted over the node's
# /etc/passwd, /etc/group, /etc/shadow, /etc/sudoers.d and /home.
setup_user() {
    local dir=$1 n=$2 user=$3 id f
    id=$(free_uid)
    for f in passwd group shadow; do grep -v "^$user:" "/etc/$f" >"$n/etc-$f" || true; done
    chmod 644 "$n/etc-passwd" "$n/etc-group"
    chmod 640 "$n/etc-shadow"
    chgrp shadow "$n/etc-shadow" 2>/dev/null || true
    printf '%s:x:%s:%s:picluster e2e node user:/home/%s:/bin/bash\n' "$user" "$id" "$id" "$user" >>"$n/etc-passwd"
    printf '%s:x:%s:\n' "$user" "$id" >>"$n/etc-group"
    # '*': no password, but not locked (sshd refuses locked accounts).
    printf '%s:*:19000:0:99999:7:::\n' "$user" >>"$n/etc-shadow"
    mkdir -p "$n/sudoers.d"
    cp -a /etc/sudoers.d/. "$n/sudoers.d/"
    printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" >"$n/sudoers.d/picluster-e2e"
    chmod 440 "$n/sudoers.d/picluster-e2e"
    mkdir -p "$n/home/$user/.ssh"
    cp "$dir/client_key.pub" "$n/home/$user/.ssh/authorized_keys"
    chmod 755 "$n/home/$user"
    chmod 700 "$n/home/$user/.ssh"
    chmod 600 "$n/home/$user/.ssh/authorized_keys"
    chown -R "$id:$id" "$n/home/$user"
}

setup_node() {
    local dir=$1 name=$2 user=$3 n="$1/nodes/$2" d
    [ -f "$n/sshd_config" ] && return 0
    mkdir -p "$n/root"
    chmod 700 "$n"
    printf '%s\n' "$user" >"$n/user"
    [ "$user" = root ] || setup_user "$dir" "$n" "$user"
    for d in "${PRIVATE_DIRS[@]}"; do mkdir -p "$n/root/$(private_name "$d")"; done
    chmod 1777 "$n/root/var-tmp"
    # root's ~/.bashrc on the node: sshd's `bash -c` for a root login reads
    # it (Debian's bash does, for commands over SSH). The host's sets up this
    # workstation's tools (about 0.3 s a session here); a node's, as on a
    # fresh Raspberry Pi OS or Debian, does nothing for a non-interactive shell.
    printf '%s\n' '# root on an e2e node: nothing to set up for a command over SSH' >"$n/root-bashrc"
    mkdir -p "$n/systemd"
    local tool
    for tool in systemctl journalctl; do
        cat >"$n/root/usr-local-sbin/$tool" <<EOF
#!/bin/sh
# The e2e node's $tool: test/e2e/fixtures/$tool-stub.sh with this node's state.
export SYSTEMD_STUB_STATE='$n/systemd' SYSTEMD_STUB_NODE='$name' E2E_LOG='$dir/calls.log' E2E_HARNESS_ENV='$dir/installer/harness.env'
exec bash '$FIXTURES/$tool-stub.sh' "\$@"
EOF
        chmod 755 "$n/root/usr-local-sbin/$tool"
    done
    for tool in ip iptables-save iptables-restore ip6tables-save ip6tables-restore; do
        printf '#!/bin/sh\n# The e2e nodes share the host network: k3s-killall.sh leaves it alone.\nexit 0\n' >"$n/root/usr-local-sbin/$tool"
        chmod 755 "$n/root/usr-local-sbin/$tool"
    done
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
line="\$(date +%s.%N) node=$name event=timedatectl user=\$(id -un) args=\$*"
# A non-root caller cannot reach the harness's directory; sudo appends for it.
if [ -w "$dir/calls.log" ]; then
    printf '%s\n' "\$line" >>"$dir/calls.log"
else
    printf '%s\n' "\$line" | sudo -n tee -a "$dir/calls.log" >/dev/null || true
fi
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
Subsystem sftp internal-sftp
EOF
    if [ "$user" != root ]; then
        # Only USER may log in, so every remote command really runs as USER.
        # sshd reads authorized_keys as the user, who cannot enter $n. The
        # user's PATH starts with /usr/local/sbin so the timedatectl stub
        # shadows the host's (which needs systemd), as root's PATH does.
        sed -i 's/^PermitRootLogin .*/PermitRootLogin no/' "$n/sshd_config"
        cat >>"$n/sshd_config" <<EOF
Match User $user
    AuthorizedKeysFile /home/$user/.ssh/authorized_keys
    SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
    fi
}

running() { [ -f "$1/sshd.pid" ] && kill -0 "$(cat "$1/sshd.pid")" 2>/dev/null; }

# The commands that give a new mount namespace node N's private files.
node_mounts() {
    local n=$1 user d mounts=""
    user=$(cat "$n/user")
    for d in "${PRIVATE_DIRS[@]}"; do
        mkdir -p "$d" # the mount point must exist on the host; it stays empty there
        mounts+="mount --bind '$n/root/$(private_name "$d")' '$d'; "
    done
    for d in hostname machine-id hosts; do mounts+="mount --bind '$n/$d' '/etc/$d'; "; done
    # (a bind mount needs its target: a host without /root/.bashrc has nothing to hide)
    if [ -f /root/.bashrc ] && [ -f "$n/root-bashrc" ]; then mounts+="mount --bind '$n/root-bashrc' /root/.bashrc; "; fi
    if [ "$user" != root ]; then
        for d in passwd group shadow; do mounts+="mount --bind '$n/etc-$d' '/etc/$d'; "; done
        mounts+="mount --bind '$n/sudoers.d' /etc/sudoers.d; mount --bind '$n/home' /home; "
    fi
    printf '%s' "$mounts"
}

# Starts the node's enabled units (its boot), inside its namespace.
boot_units() {
    local n=$1 u boot=""
    for u in "$n"/systemd/*.enabled; do
        [ -e "$u" ] || continue
        u=$(basename "$u" .enabled)
        boot+="/usr/local/sbin/systemctl start --no-block '$u' || true; "
    done
    printf '%s' "$boot"
}

stop_units() {
    local n=$1 pid f
    for f in "$n"/systemd/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

start_node() {
    local dir=$1 name=${2%%:*} user=root n i mounts
    case "$2" in *:*) user=${2#*:} ;; esac
    n="$dir/nodes/$name"
    setup_node "$dir" "$name" "$user"
    if running "$n"; then return 0; fi
    rm -f "$n/sshd.pid"
    mounts=$(node_mounts "$n")
    mkdir -p /run/sshd
    # setsid: the node outlives the shell that started it; it is stopped by pid.
    setsid unshare --mount --uts --propagation private -- \
        bash -c "set -e; $mounts hostname '$name'; $(boot_units "$n") exec /usr/sbin/sshd -D -f '$n/sshd_config' -E '$n/sshd.log'" \
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
    stop_units "$n"
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
    sed -n '2,38p' "$0" >&2
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
    exec)
        require
        name=${1:?exec needs a node name}
        shift
        [ "${1:-}" = -- ] && shift
        [ $# -gt 0 ] || die "exec needs a command"
        mkdir -p "$dir/nodes"
        dir=$(cd "$dir" && pwd)
        [ -f "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C picluster-e2e -f "$dir/client_key"
        touch "$dir/calls.log"
        setup_node "$dir" "$name" root
        n="$dir/nodes/$name"
        exec unshare --mount --uts --propagation private -- \
            bash -c "set -e; $(node_mounts "$n") hostname '$name'; exec \"\$@\"" bash "$@"
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

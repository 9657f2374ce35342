#!/usr/bin/env bash
# A local Helm chart repository for the end-to-end suite: the packaged
# upstream charts at the pinned versions, dependencies vendored, copied from
# the chart cache (npm run charts, docs/charts.md) and served over HTTPS on
# 127.0.0.1 (the config contract accepts only https:// chart repositories).
#
#   chartrepo.sh check CACHE NAME@VERSION...
#                                           exit 0 when the chart cache CACHE holds the
#                                           package of every argument; 3 when one is not
#                                           in the cache (fill it with npm run charts);
#                                           1 when one was never published (its
#                                           repository's cached index does not list it)
#   chartrepo.sh upstream DIR CACHE NAME@VERSION...
#                                           copy the packaged upstream chart of each
#                                           argument from CACHE into DIR/repo and
#                                           (re)write DIR/repo/index.yaml; fails as
#                                           `check` does (same exit codes)
#   chartrepo.sh start DIR CA_DIR           serve DIR/repo with a certificate for
#                                           127.0.0.1 signed by CA_DIR/ca.{crt,key};
#                                           writes DIR/url (https://127.0.0.1:PORT)
#   chartrepo.sh stop DIR
#
# Clients must trust CA_DIR/ca.crt: the suite sets SSL_CERT_FILE for the
# Pulumi engine and its plugins to a bundle of the system roots plus it.
#
# Every chart is served from this one HTTPS repository, OCI ones too
# (Bitnami's rabbitmq): helm pulls a packaged chart the same way from either,
# and the config contract takes an https:// repository, so no local OCI
# registry is needed.
set -euo pipefail

die() {
    echo "chartrepo.sh: $*" >&2
    exit 1
}

# Whether the repository index INDEX lists NAME at VERSION.
indexed() { # INDEX NAME VERSION
    python3 -c '
import re, sys
text, name, version = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
block = re.search(r"^  " + re.escape(name) + r":\n((?:(?:  -|   ).*\n)*)", text, re.M)
sys.exit(0 if block and re.search(r"^ +version: \x22?" + re.escape(version) + r"\x22?$", block.group(1), re.M) else 1)
' "$@"
}

# Prints the cached package of NAME at VERSION; else says why on stderr and
# returns 3 (not in the cache) or 1 (never published upstream).
locate() { # CACHE NAME VERSION
    local cache=$1 name=$2 version=$3 index listed=""
    for index in "$cache"/*/index.yaml; do
        [ -f "$index" ] || continue
        if indexed "$index" "$name" "$version"; then
            listed=$index
            if [ -f "$(dirname "$index")/$name-$version.tgz" ]; then
                echo "$(dirname "$index")/$name-$version.tgz"
                return 0
            fi
        fi
    done
    if [ -n "$listed" ]; then
        echo "chartrepo.sh: $name $version: published ($listed lists it) but its package is not in the chart cache $cache (fill it with npm run charts, docs/charts.md)" >&2
        return 3
    fi
    if ! grep -qs "^  $name:\$" "$cache"/*/index.yaml; then
        echo "chartrepo.sh: $name $version: no repository in the chart cache $cache indexes the $name chart (fill it with npm run charts, docs/charts.md)" >&2
        return 3
    fi
    echo "chartrepo.sh: $name $version: not a published upstream chart in the chart cache $cache (its repository's index does not list that version: it was never released; pin a published one)" >&2
    return 1
}

write_index() { # REPO
    local repo=$1 tgz name top last=""
    {
        echo "apiVersion: v1"
        echo "entries:"
        # One entry list per chart name, every packaged version in it.
        for tgz in "$repo"/*.tgz; do
            # The top directory's Chart.yaml: upstream charts carry their dependencies' too.
            top=$(tar -tzf "$tgz" | sed -n '1s|/.*||p')
            name=$(tar -xzOf "$tgz" "$top/Chart.yaml" | sed -n 's/^name: //p')
            printf '%s %s\n' "$name" "$(basename "$tgz")"
        done | sort | while read -r name tgz; do
            if [ "$name" != "$last" ]; then
                echo "  $name:"
                last=$name
            fi
            version=${tgz#"$name"-}
            cat <<EOF
  - apiVersion: v2
    name: $name
    version: "${version%.tgz}"
    created: "1970-01-01T00:00:00Z"
    digest: $(sha256sum "$repo/$tgz" | cut -d' ' -f1)
    urls:
    - $tgz
EOF
        done
        echo 'generated: "1970-01-01T00:00:00Z"'
    } >"$repo/index.yaml"
}

serve() { # DIR CA_DIR
    local dir=$1 ca=$2 port i
    if [ ! -f "$ca/ca.crt" ] || [ ! -f "$ca/ca.key" ]; then die "$ca has no ca.crt/ca.key"; fi
    if [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then return 0; fi
    openssl req -newkey rsa:2048 -nodes -subj "/CN=picluster-e2e-charts" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/tls.ext"
    openssl x509 -req -in "$dir/tls.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAserial "$dir/ca.srl" -CAcreateserial \
        -days 2 -extfile "$dir/tls.ext" -out "$dir/tls.crt" 2>/dev/null
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    setsid python3 - "$dir/repo" "$port" "$dir/tls.crt" "$dir/tls.key" >"$dir/server.log" 2>&1 </dev/null <<'EOF' &
import functools, http.server, ssl, sys
root, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
httpd.serve_forever()
EOF
    echo $! >"$dir/server.pid"
    echo "https://127.0.0.1:$port" >"$dir/url"
    for ((i = 0; i < 50; i++)); do
        if curl -fsS --cacert "$ca/ca.crt" "https://127.0.0.1:$port/index.yaml" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    cat "$dir/server.log" >&2
    die "chart repository did not start; see $dir/server.log"
}

stop() { # DIR
    local dir=$1 pid
    [ -f "$dir/server.pid" ] || return 0
    pid=$(cat "$dir/server.pid")
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
}

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    sed -n '2,27p' "$0" >&2
    exit 2
fi
shift 2
case "$cmd" in
    check)
        # DIR is the cache here.
        status=0
        for spec in "$@"; do
            case "$spec" in
                *@*) ;;
                *) die "'$spec' is not NAME@VERSION" ;;
            esac
            rc=0
            locate "$dir" "${spec%%@*}" "${spec#*@}" >/dev/null || rc=$?
            # never published (1) outranks not cached (3)
            if [ "$rc" -eq 1 ] || { [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; }; then status=$rc; fi
        done
        exit "$status"
        ;;
    upstream)
        cache=${1:?upstream needs CACHE}
        shift
        mkdir -p "$dir/repo"
        for spec in "$@"; do
            case "$spec" in
                *@*) ;;
                *) die "'$spec' is not NAME@VERSION" ;;
            esac
            rc=0
            found=$(locate "$cache" "${spec%%@*}" "${spec#*@}") || rc=$?
            [ "$rc" -eq 0 ] || exit "$rc"
            cp "$found" "$dir/repo/$(basename "$found")"
        done
        write_index "$dir/repo"
        ;;
    start) serve "$dir" "${1:?start needs CA_DIR}" ;;
    stop) stop "$dir" ;;
    *) die "unknown command '$cmd' (check|upstream|start|stop)" ;;
esac

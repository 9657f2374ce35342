#!/usr/bin/env bash
# A local Helm chart repository for the end-to-end suite: tiny stand-in
# charts, packaged without the helm CLI, served over HTTPS on 127.0.0.1 (the
# config contract accepts only https:// chart repositories).
#
#   chartrepo.sh build DIR NAME@VERSION...  package one chart per argument into DIR/repo
#                                           and (re)write DIR/repo/index.yaml
#   chartrepo.sh upstream DIR CACHE NAME@VERSION...
#                                           copy the packaged upstream chart of each
#                                           argument (dependencies vendored) from the
#                                           chart cache CACHE (npm run charts,
#                                           docs/charts.md) into DIR/repo and (re)write
#                                           DIR/repo/index.yaml; fails when a version
#                                           is not published upstream (not in the
#                                           cache's index of its repository)
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
#
# Each stand-in chart renders one ConfigMap named after the release, holding the
# release's values as JSON, so a test can read back what a release was given
# without any pod running. A chart directory under
# test/e2e/fixtures/charts/NAME (Chart.yaml is generated) adds templates
# of its own, e.g. CRDs a real chart would install.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
FIXTURE_CHARTS="$here/../fixtures/charts"

die() {
    echo "chartrepo.sh: $*" >&2
    exit 1
}

build_chart() { # REPO NAME VERSION
    local repo=$1 name=$2 version=$3 work
    work=$(mktemp -d)
    mkdir -p "$work/$name/templates"
    if [ -d "$FIXTURE_CHARTS/$name" ]; then cp -R "$FIXTURE_CHARTS/$name/." "$work/$name/"; fi
    cat >"$work/$name/Chart.yaml" <<EOF
apiVersion: v2
name: $name
version: $version
appVersion: "$version"
description: picluster e2e stand-in for the $name chart
type: application
EOF
    [ -f "$work/$name/values.yaml" ] || printf '{}\n' >"$work/$name/values.yaml"
    cat >"$work/$name/templates/e2e-release.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-e2e-release
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/instance: {{ .Release.Name }}
    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
data:
  chart: {{ .Chart.Name | quote }}
  version: {{ .Chart.Version | quote }}
  values.json: {{ toJson .Values | quote }}
EOF
    # Fixed owner and mtime: the same chart packs to the same bytes.
    tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$repo/$name-$version.tgz" "$name"
    rm -rf "$work"
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

copy_upstream() { # REPO CACHE NAME VERSION
    local repo=$1 cache=$2 name=$3 version=$4 found="" tgz
    for tgz in "$cache"/*/"$name-$version.tgz"; do
        if [ -f "$tgz" ] && indexed "$(dirname "$tgz")/index.yaml" "$name" "$version"; then
            found=$tgz
            break
        fi
    done
    [ -n "$found" ] || die "$name $version: not a published upstream chart in the chart cache $cache (fill it with npm run charts; a version its repository's index does not list was never released)"
    cp "$found" "$repo/$name-$version.tgz"
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
    sed -n '2,33p' "$0" >&2
    exit 2
fi
shift 2
case "$cmd" in
    build)
        mkdir -p "$dir/repo"
        for spec in "$@"; do
            case "$spec" in
                *@*) build_chart "$dir/repo" "${spec%%@*}" "${spec#*@}" ;;
                *) die "'$spec' is not NAME@VERSION" ;;
            esac
        done
        write_index "$dir/repo"
        ;;
    upstream)
        cache=${1:?upstream needs CACHE}
        shift
        mkdir -p "$dir/repo"
        for spec in "$@"; do
            case "$spec" in
                *@*) copy_upstream "$dir/repo" "$cache" "${spec%%@*}" "${spec#*@}" ;;
                *) die "'$spec' is not NAME@VERSION" ;;
            esac
        done
        write_index "$dir/repo"
        ;;
    start) serve "$dir" "${1:?start needs CA_DIR}" ;;
    stop) stop "$dir" ;;
    *) die "unknown command '$cmd' (build|upstream|start|stop)" ;;
esac

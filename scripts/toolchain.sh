#!/usr/bin/env bash
# Build (once) and locate the end-to-end toolchain for picluster:
#   pulumi, pulumi-language-nodejs, pulumi-resource-{kubernetes,command,random},
#   kube-apiserver, kube-controller-manager, kubectl, etcd, helm, pod-security.
#
# Everything is compiled from Go modules fetched through the Go module proxy
# (etcd comes from Debian's etcd-server package) and cached OUTSIDE the repo in
#   ${PICLUSTER_TOOLCHAIN_DIR:-$HOME/.cache/picluster-toolchain}/<piece>-<version>/bin
# with the Go module and build caches beside it, so a second run takes seconds.
# A piece is rebuilt only when its version below changes.
#
# Usage:
#   scripts/toolchain.sh                 build whatever is missing, then print an export line
#   scripts/toolchain.sh PIECE...        only these pieces (names: see PIECES below)
#   scripts/toolchain.sh --env           print `export PATH=...` only (no building):
#                                          eval "$(scripts/toolchain.sh --env)"
#   scripts/toolchain.sh --check [PIECE...]
#                                        exit 0 only if every binary (of these pieces) is
#                                        present; lists what is missing
#   scripts/toolchain.sh --list          print each piece, its version and its binaries
#
# See docs/toolchain.md for where each version comes from and why some differ
# from the npm pins.
set -euo pipefail

# ---------------------------------------------------------------------------
# Versions. The npm pins live in package.json; the Go module versions are the
# ones the module proxy serves (see docs/toolchain.md for each mismatch).
# ---------------------------------------------------------------------------
PULUMI_VERSION=3.259.0                      # pulumi + @pulumi/pulumi on npm; pkg/v3 + sdk/v3 tags
# The Node.js language host is its own Go module since v3.69.0, and the proxy
# serves none of its (untagged) pseudo-versions; v3.68.0 is the last sdk/v3
# release that still contains it as a package.
PULUMI_NODEJS_HOST_VERSION=3.68.0
# @pulumi/kubernetes on npm is 4.34.2; provider/v4 is untagged and the proxy
# only serves the pseudo-version of the v4.25.0 release commit.
K8S_PROVIDER_VERSION=4.25.0
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# @pulumi/random on npm is 4.21.2; its provider/v4 module is not served at all,
# so the provider is assembled from the parts it is made of (build_provider-random).
RANDOM_PROVIDER_VERSION=4.21.2
TF_RANDOM_MODULE_VERSION=v1.3.2-0.20260824155315-e1092b0cfc07   # hashicorp/terraform-provider-random
TF_BRIDGE_MODULE_VERSION=v3.137.0                               # pulumi-terraform-bridge/v3
TF_PLUGIN_SDK_FORK_VERSION=v2.0.0-20260318212141-5525259d096b   # pulumi/terraform-plugin-sdk/v2
# @pulumi/command on npm is 1.2.1 (release commit 7f3eb6f3b77c, 2026-03-03).
# Its provider module (github.com/pulumi/pulumi-command/provider, untagged) is
# NOT served by the module proxy at that or any other commit tried (403 "This
# module version is not available"), so this piece fails until it is; the
# build recipe is ready for the day it is served.
COMMAND_PROVIDER_VERSION=1.2.1
COMMAND_PROVIDER_MODULE=github.com/pulumi/pulumi-command/provider
COMMAND_PROVIDER_MODULE_VERSION=v0.0.0-20260303235922-7f3eb6f3b77c
KUBERNETES_VERSION=1.34.4                   # kube-apiserver, kube-controller-manager, kubectl (k8s.io/kubernetes)
ETCD_DEBIAN_PACKAGE=etcd-server             # Debian bookworm: etcd 3.4.23
HELM_VERSION=3.20.2                         # helm.sh/helm/v3 as pulumi-kubernetes' provider/go.mod requires it (docs/decisions.md)

PIECES=(pulumi language-nodejs provider-kubernetes provider-random provider-command kubernetes etcd helm pod-security)

TOOLCHAIN_DIR=${PICLUSTER_TOOLCHAIN_DIR:-$HOME/.cache/picluster-toolchain}
export GOMODCACHE="$TOOLCHAIN_DIR/gomod"
export GOCACHE="$TOOLCHAIN_DIR/gocache"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
GO_BUILD_FLAGS=(-pgo=off -trimpath)

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] error: %s\n' "$*" >&2; exit 1; }

# piece -> "version|binaries"
piece_version() {
  case "$1" in
    pulumi) echo "$PULUMI_VERSION" ;;
    language-nodejs) echo "$PULUMI_NODEJS_HOST_VERSION" ;;
    provider-kubernetes) echo "$K8S_PROVIDER_VERSION" ;;
    provider-random) echo "$RANDOM_PROVIDER_VERSION" ;;
    provider-command) echo "$COMMAND_PROVIDER_VERSION" ;;
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "debian" ;;
    helm) echo "$HELM_VERSION" ;;
    pod-security) echo "$KUBERNETES_VERSION" ;;
    *) die "unknown piece: $1 (known: ${PIECES[*]})" ;;
  esac
}
piece_binaries() {
  case "$1" in
    pulumi) echo "pulumi" ;;
    language-nodejs) echo "pulumi-language-nodejs" ;;
    provider-kubernetes) echo "pulumi-resource-kubernetes" ;;
    provider-random) echo "pulumi-resource-random" ;;
    provider-command) echo "pulumi-resource-command" ;;
    kubernetes) echo "kube-apiserver kube-controller-manager kubectl" ;;
    etcd) echo "etcd" ;;
    helm) echo "helm" ;;
    pod-security) echo "pod-security" ;;
  esac
}
piece_dir() { echo "$TOOLCHAIN_DIR/$1-v$(piece_version "$1")"; }

# The version string a binary on PATH must print for it to be used instead of
# a cached build; empty = never taken from PATH.
path_version_ok() { # binary path
  local bin=$1 path=$2 out
  case "$bin" in
    pulumi) out=$("$path" version 2>/dev/null) && [[ $out == "v$PULUMI_VERSION" ]] ;;
    kube-apiserver | kube-controller-manager) out=$("$path" --version 2>/dev/null) && [[ $out == "Kubernetes v$KUBERNETES_VERSION" ]] ;;
    kubectl) out=$("$path" version --client 2>/dev/null) && [[ $out == *"Client Version: v$KUBERNETES_VERSION"* ]] ;;
    etcd) out=$("$path" --version 2>/dev/null) && [[ $out == *"etcd Version: 3."[4-9]* ]] ;;
    helm) out=$("$path" version --template '{{.Version}}' 2>/dev/null) && [[ $out == "v$HELM_VERSION" ]] ;;
    *) return 1 ;;
  esac
}

# Prints the directory holding a usable binary, or nothing.
locate() { # binary piece
  local bin=$1 piece=$2 dir p
  dir=$(piece_dir "$piece")
  if [[ -f $dir/.complete && -x $dir/bin/$bin ]]; then echo "$dir/bin"; return; fi
  if p=$(command -v "$bin" 2>/dev/null) && [[ $p == /* ]] && path_version_ok "$bin" "$p"; then
    dirname "$p"; return
  fi
}

# ---------------------------------------------------------------------------
# Build helpers
# ---------------------------------------------------------------------------
# new_work PIECE -> prints a fresh work directory
new_work() {
  local w="$TOOLCHAIN_DIR/work/$1"
  rm -rf "$w"; mkdir -p "$w"; echo "$w"
}
# finish PIECE WORKDIR: move WORKDIR/out/* into the versioned piece dir
finish() {
  local piece=$1 work=$2 dir
  dir=$(piece_dir "$piece")
  compgen -G "$work/out/*" >/dev/null || { log "$piece: nothing was built"; return 1; }
  rm -rf "$dir"; mkdir -p "$dir/bin"
  cp -p "$work"/out/* "$dir/bin/"
  date -u +%FT%TZ > "$dir/.complete"
  rm -rf "$work"
}
# mod_field MODULE@VERSION FIELD -> a field of `go mod download -json` (Dir, GoMod, ...)
mod_field() {
  (cd "$TOOLCHAIN_DIR" && go mod download -json "$1") | sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\$/\1/p"
}

build_pulumi() {
  local w; w=$(new_work pulumi)
  cat > "$w/go.mod" <<EOF
module picluster.local/toolchain/pulumi

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

// pkg/go.mod's own non-local replace (replaces of dependencies are ignored).
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$w/tools.go"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o out/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) || return 1
  finish pulumi "$w"
}

build_language-nodejs() {
  local w; w=$(new_work language-nodejs)
  cat > "$w/go.mod" <<EOF
module picluster.local/toolchain/language-nodejs

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_NODEJS_HOST_VERSION
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' > "$w/tools.go"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_NODEJS_HOST_VERSION" \
    -o out/pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs) || return 1
  finish language-nodejs "$w"
}

build_provider-kubernetes() {
  local w mod=github.com/pulumi/pulumi-kubernetes/provider/v4 src
  w=$(new_work provider-kubernetes)
  # The checksum database answers 404 for this pseudo-version and for several
  # of its github.com/pulumi dependencies, which the module proxy does serve.
  export GONOSUMDB=github.com/pulumi
  src=$(mod_field "$mod@$K8S_PROVIDER_MODULE_VERSION" Dir)
  [[ -d $src ]] || die "cannot download $mod@$K8S_PROVIDER_MODULE_VERSION"
  cat > "$w/go.mod" <<EOF
module picluster.local/toolchain/provider-kubernetes

go 1.24

require (
	$mod $K8S_PROVIDER_MODULE_VERSION
	// upstream: replace => ../sdk (same commit); the matching sdk tag
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v$K8S_PROVIDER_VERSION
)
EOF
  # main.go embeds schema-embed.json / terraform-mapping-embed.json, which the
  # (gitignored) generate step writes: copy the command out and generate.
  mkdir -p "$w/cmd/pulumi-resource-kubernetes"
  cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} \
    "$w/cmd/pulumi-resource-kubernetes/"
  chmod -R u+w "$w/cmd"
  (cd "$w" && go mod tidy \
    && (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER_VERSION go run generate.go) \
    && go build "${GO_BUILD_FLAGS[@]}" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$K8S_PROVIDER_VERSION" \
      -o out/pulumi-resource-kubernetes ./cmd/pulumi-resource-kubernetes) || return 1
  finish provider-kubernetes "$w"
}

build_provider-command() {
  local w mod=$COMMAND_PROVIDER_MODULE out
  w=$(new_work provider-command)
  export GONOSUMDB=github.com/pulumi
  out=$(cd "$TOOLCHAIN_DIR" && go mod download -json "$mod@$COMMAND_PROVIDER_MODULE_VERSION" 2>&1) || true
  if [[ $out == *'"Error"'* || $out != *'"Dir"'* ]]; then
    printf '%s\n' "$out"
    log "provider-command: the module proxy does not serve $mod@$COMMAND_PROVIDER_MODULE_VERSION (see docs/toolchain.md)"
    return 1
  fi
  cat > "$w/go.mod" <<EOF
module picluster.local/toolchain/provider-command

go 1.25

require $mod $COMMAND_PROVIDER_MODULE_VERSION
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi-resource-command"\n' "$mod" > "$w/tools.go"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X $mod/pkg/version.Version=$COMMAND_PROVIDER_VERSION" \
    -o out/pulumi-resource-command "$mod/cmd/pulumi-resource-command") || return 1
  finish provider-command "$w"
}

# pulumi-random is a bridged Terraform provider. Its provider/v4 module is not
# served by the module proxy at any release commit, so the provider is
# assembled here from the same parts: hashicorp's terraform-provider-random
# (plugin framework), pulumi-terraform-bridge, and a small glue package (below)
# that names the resources exactly as @pulumi/random does
# (random:index/randomPassword:RandomPassword, ...). The schema is produced by
# the bridge's tfgen, as upstream does, then embedded into the provider.
build_provider-random() {
  local w
  w=$(new_work provider-random)
  export GONOSUMDB=github.com/pulumi,github.com/terraform-providers
  mkdir -p "$w/shim" "$w/cmd/pulumi-resource-random" "$w/cmd/pulumi-tfgen-random"
  # terraform-provider-random keeps its provider in internal/, importable only
  # from below its module path: hence a shim module with that prefix.
  cat > "$w/shim/go.mod" <<EOF
module github.com/terraform-providers/terraform-provider-random/shim

go 1.24

require github.com/terraform-providers/terraform-provider-random $TF_RANDOM_MODULE_VERSION
EOF
  cat > "$w/shim/shim.go" <<'EOF'
// Package shim exposes terraform-provider-random's internal provider.
package shim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the Terraform plugin-framework random provider.
func NewProvider() fwprovider.Provider { return provider.New() }
EOF
  cat > "$w/go.mod" <<EOF
module picluster.local/toolchain/provider-random

go 1.25

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 $TF_BRIDGE_MODULE_VERSION
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
	github.com/terraform-providers/terraform-provider-random $TF_RANDOM_MODULE_VERSION
	github.com/terraform-providers/terraform-provider-random/shim v0.0.0
)

replace github.com/terraform-providers/terraform-provider-random/shim => ./shim

// as in pulumi-terraform-bridge's and pulumi-random's go.mod
replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 $TF_PLUGIN_SDK_FORK_VERSION

// as in pkg/v3's go.mod
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  cat > "$w/random.go" <<'EOF'
// Package random describes the bridged random provider to the bridge.
package random

import (
	"context"
	_ "embed"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is set with -ldflags -X; the bridge refuses an empty version.
var Version = "0.0.1"

//go:embed cmd/pulumi-resource-random/bridge-metadata.json
var metadata []byte

// Provider returns the bridge's description of the random provider.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		License:      "Apache-2.0",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no id attribute: use its value, as upstream does.
			"random_bytes": {ComputeID: bytesID},
		},
		JavaScript:                  &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// random_password -> random:index/randomPassword:RandomPassword, ...
	info.MustComputeTokens(tokens.SingleModule("random_", "index",
		func(module, name string) (string, error) {
			return tokens.MakeStandard("random")(module, "Random"+name)
		}))
	info.MustApplyAutoAliases()
	return info
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: no base64 property in state")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes: base64 is not a string")
	}
	return resource.ID(v.StringValue()), nil
}
EOF
  cat > "$w/cmd/pulumi-tfgen-random/main.go" <<'EOF'
// Command pulumi-tfgen-random writes the provider's Pulumi schema.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	random "picluster.local/toolchain/provider-random"
)

func main() { tfgen.Main("random", random.Provider()) }
EOF
  cat > "$w/cmd/pulumi-resource-random/main.go" <<'EOF'
// Command pulumi-resource-random serves the bridged random provider.
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	random "picluster.local/toolchain/provider-random"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	pf.Main(context.Background(), "random", random.Provider(),
		pf.ProviderMetadata{PackageSchema: schema, BridgeMetadata: bridgeMetadata})
}
EOF
  # placeholders so the packages compile before tfgen has written them
  echo '{}' > "$w/cmd/pulumi-resource-random/bridge-metadata.json"
  echo '{}' > "$w/cmd/pulumi-resource-random/schema.json"
  local ld="-s -w -X picluster.local/toolchain/provider-random.Version=$RANDOM_PROVIDER_VERSION"
  (cd "$w" && go mod tidy \
    && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$ld" -o tfgen ./cmd/pulumi-tfgen-random \
    && ./tfgen schema --out cmd/pulumi-resource-random \
    && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$ld" -o out/pulumi-resource-random ./cmd/pulumi-resource-random) || return 1
  cp "$w/cmd/pulumi-resource-random/schema.json" "$w/out/pulumi-resource-random.schema.json"
  finish provider-random "$w"
}

build_kubernetes() {
  local w v=$KUBERNETES_VERSION minor m
  w=$(new_work kubernetes)
  minor=${v#*.}; minor=${minor%%.*}
  # Every staging module the kubernetes module requires at v0.0.0 is replaced
  # (upstream: by ./staging/src/...) with its published v0.<minor>.<patch>.
  local modfile; modfile=$(mod_field "k8s.io/kubernetes@v$v" GoMod)
  [[ -f $modfile ]] || die "cannot download k8s.io/kubernetes@v$v"
  {
    printf 'module picluster.local/toolchain/kubernetes\n\ngo 1.24\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$v"
    awk '$1 ~ /^k8s.io\// && $2 == "v0.0.0" {print $1}' "$modfile" | sort -u | while read -r m; do
      printf '\t%s => %s v0.%s\n' "$m" "$m" "${v#*.}"
    done
    printf ')\n'
  } > "$w/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > "$w/tools.go"
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$w" && go mod tidy \
    && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$ld" -o out/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
    && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$ld" -o out/kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager \
    && go build "${GO_BUILD_FLAGS[@]}" -ldflags "$ld" -o out/kubectl k8s.io/kubernetes/cmd/kubectl) || return 1
  finish kubernetes "$w"
}

build_etcd() {
  # Debian's package; the binary lands in /usr/bin, which is on PATH already.
  if ! command -v etcd >/dev/null 2>&1; then
    [[ $(id -u) == 0 ]] || die "etcd missing: run as root or 'sudo apt-get install -y $ETCD_DEBIAN_PACKAGE'"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$ETCD_DEBIAN_PACKAGE" >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$ETCD_DEBIAN_PACKAGE" >&2; }
    # The package starts a system etcd on 2379; the e2e harness runs its own.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now etcd >/dev/null 2>&1 || true; fi
  fi
}

# The helm CLI, for the chart cache and `npm run render -- <stack> --manifests`
# (scripts/charts/): the same helm.sh/helm/v3 the kubernetes provider embeds.
build_helm() {
  local w; w=$(new_work helm)
  printf 'module picluster.local/toolchain/helm\n\ngo 1.25\n\nrequire helm.sh/helm/v3 v%s\n' "$HELM_VERSION" > "$w/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "helm.sh/helm/v3/cmd/helm"\n' > "$w/tools.go"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
    -o out/helm helm.sh/helm/v3/cmd/helm) || return 1
  finish helm "$w"
}

# pod-security: this repository's tools/pod-security/main.go (the chart test
# layer's Pod Security judge) over k8s.io/pod-security-admission at the
# Kubernetes version above.
build_pod-security() {
  local w; w=$(new_work pod-security)
  cp "$(dirname "$0")/../tools/pod-security/main.go" "$w/"
  printf 'module picluster.local/toolchain/pod-security\n\ngo 1.24\n\nrequire k8s.io/pod-security-admission v0.%s\n' "${KUBERNETES_VERSION#*.}" > "$w/go.mod"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" -ldflags "-s -w" -o out/pod-security .) || return 1
  finish pod-security "$w"
}

# ---------------------------------------------------------------------------
ensure_piece() {
  local piece=$1 bin missing=0 start
  for bin in $(piece_binaries "$piece"); do
    [[ -n $(locate "$bin" "$piece") ]] || missing=1
  done
  ((missing)) || return 0
  mkdir -p "$TOOLCHAIN_DIR/logs"
  log "building $piece $(piece_version "$piece") (log: $TOOLCHAIN_DIR/logs/$piece.log)"
  start=$SECONDS
  if ! "build_$piece" > "$TOOLCHAIN_DIR/logs/$piece.log" 2>&1; then
    tail -n 30 "$TOOLCHAIN_DIR/logs/$piece.log" >&2
    log "FAILED: $piece (full log: $TOOLCHAIN_DIR/logs/$piece.log)"
    return 1
  fi
  log "built $piece in $((SECONDS - start))s"
}

# Directories of the cache that hold a located binary (binaries taken from
# PATH are on PATH already).
path_dirs() {
  local piece bin d dirs=()
  for piece in "${PIECES[@]}"; do
    for bin in $(piece_binaries "$piece"); do
      d=$(locate "$bin" "$piece")
      [[ -n $d && $d == "$TOOLCHAIN_DIR"/* ]] || continue
      [[ " ${dirs[*]-} " == *" $d "* ]] || dirs+=("$d")
    done
  done
  (IFS=:; echo "${dirs[*]-}")
}

# link_pulumi_plugins: make the Pulumi binaries findable without --env.
#  1. The language host beside a cached `pulumi`: the CLI prefers plugins next
#     to its own executable and warns when it takes one from $PATH.
#  2. $PULUMI_HOME/versions/$PULUMI_VERSION/bin: the `pulumi` npm package
#     (node_modules/pulumi, lib/resolve.js + lib/cache.js) runs
#     ${PULUMI_HOME:-~/.pulumi}/versions/<its version>/bin/pulumi when that file is
#     executable and non-empty, instead of downloading, and puts that directory
#     first on PATH; so `npx pulumi` works offline with the plugins beside it.
#     Only symlinks are written there, and never over a real file.
link_pulumi_plugins() {
  local pulumi_dir bin d target
  pulumi_dir=$(locate pulumi pulumi)
  [[ -n $pulumi_dir ]] || return 0
  local host_dir; host_dir=$(locate pulumi-language-nodejs language-nodejs)
  if [[ $pulumi_dir == "$TOOLCHAIN_DIR"/* && -n $host_dir && $host_dir != "$pulumi_dir" ]]; then
    ln -sfn "$host_dir/pulumi-language-nodejs" "$pulumi_dir/pulumi-language-nodejs"
  fi
  target="${PULUMI_HOME:-$HOME/.pulumi}/versions/$PULUMI_VERSION/bin"
  mkdir -p "$target" 2>/dev/null || return 0
  for bin in pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random pulumi-resource-command; do
    case "$bin" in
      pulumi) d=$pulumi_dir ;;
      pulumi-language-nodejs) d=$host_dir ;;
      *) d=$(locate "$bin" "provider-${bin#pulumi-resource-}") ;;
    esac
    [[ -n $d ]] || continue
    if [[ -L $target/$bin || ! -e $target/$bin ]]; then
      ln -sfn "$d/$bin" "$target/$bin"
    fi
  done
}

print_env() {
  local dirs; dirs=$(path_dirs)
  if [[ -n $dirs ]]; then
    # shellcheck disable=SC2016 # $PATH is for the shell that evals this
    printf 'export PATH=%q:"$PATH"\n' "$dirs"
  fi
  printf 'export PULUMI_SKIP_UPDATE_CHECK=1 PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
}

check() { # [PIECE...]
  local piece bin d rc=0 pieces=("$@")
  ((${#pieces[@]})) || pieces=("${PIECES[@]}")
  for piece in "${pieces[@]}"; do
    piece_version "$piece" >/dev/null
    for bin in $(piece_binaries "$piece"); do
      d=$(locate "$bin" "$piece")
      if [[ -n $d ]]; then
        printf 'ok       %-28s %s\n' "$bin" "$d/$bin"
      else
        printf 'MISSING  %-28s (piece %s %s; build: scripts/toolchain.sh %s)\n' \
          "$bin" "$piece" "$(piece_version "$piece")" "$piece"
        rc=1
      fi
    done
  done
  return "$rc"
}

main() {
  case "${1-}" in
    --env) print_env; return ;;
    --check) shift; check "$@"; return ;;
    --list)
      local piece
      for piece in "${PIECES[@]}"; do
        printf '%-20s %-10s %s\n' "$piece" "$(piece_version "$piece")" "$(piece_binaries "$piece")"
      done
      return ;;
    -h|--help) sed -n '2,23p' "$0"; return ;;
  esac
  command -v go >/dev/null 2>&1 || die "go is required (1.25+)"
  mkdir -p "$GOMODCACHE" "$GOCACHE"
  local pieces=("$@") failed=()
  ((${#pieces[@]})) || pieces=("${PIECES[@]}")
  local piece
  for piece in "${pieces[@]}"; do
    piece_version "$piece" >/dev/null
    ensure_piece "$piece" || failed+=("$piece")
  done
  link_pulumi_plugins
  print_env
  if ((${#failed[@]})); then
    log "failed pieces: ${failed[*]}"
    return 1
  fi
}

main "$@"

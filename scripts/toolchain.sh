#!/usr/bin/env bash
# Build (once) and locate the end-to-end toolchain for picluster:
#   pulumi, pulumi-language-nodejs, pulumi-resource-{kubernetes,command,random},
#   kube-apiserver, kube-controller-manager, kubectl, etcd, helm, pod-security;
#   and, by name only, actionlint (CI's workflow linter) and gofakes3 (the
#   S3-compatible server the state test runs on loopback).
#
# The Pulumi CLI, kube-apiserver, etcd, helm and actionlint are compiled from their Go
# modules (module proxy). The language host and the provider plugins are
# compiled from their upstream repositories at the tag of the npm package
# package.json pins (the proxy does not serve them): PICLUSTER_UPSTREAM_SRC
# names the directory of those repositories (see docs/toolchain.md). etcd is
# built from its server module (module proxy). Everything is cached OUTSIDE the repo in
#   ${PICLUSTER_TOOLCHAIN_DIR:-$HOME/.cache/picluster-toolchain}/<piece>-v<version>/bin
# with the Go module and build caches beside it, so a second run takes seconds.
# A piece is rebuilt only when its version changes.
#
# Usage:
#   scripts/toolchain.sh                 build whatever e2e piece is missing, then print an export line
#   scripts/toolchain.sh PIECE...        only these pieces (see --list)
#   scripts/toolchain.sh --env           print `export PATH=...` only (no building):
#                                          eval "$(scripts/toolchain.sh --env)"
#   scripts/toolchain.sh --check [PIECE...]
#                                        exit 0 only if every binary (of these pieces) is
#                                        present; lists what is missing
#   scripts/toolchain.sh --list          print each piece, its version and its binaries
#   scripts/toolchain.sh --sources       print where each piece comes from (upstream or
#                                        not), whether it is built, and whether it can be
#   scripts/toolchain.sh --available     build the missing e2e pieces whose source is here
#   scripts/toolchain.sh --which BINARY  print the path of a built binary
#
# See docs/toolchain.md for each recipe and every deviation from upstream's build.
set -euo pipefail

# ---------------------------------------------------------------------------
# Versions. The npm pins in package.json are the truth: the Pulumi CLI, the
# language host and each provider plugin are built at exactly those versions.
# ---------------------------------------------------------------------------
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# npm_pin PACKAGE -> the exact version package.json pins for it
npm_pin() {
  local v
  v=$(sed -n "s|^[[:space:]]*\"$1\": \"\([0-9][0-9.]*\)\",\{0,1\}\$|\1|p" "$REPO_ROOT/package.json" | head -n 1)
  [[ -n $v ]] || { printf '[toolchain] error: package.json pins no exact version of %s\n' "$1" >&2; exit 1; }
  echo "$v"
}
PULUMI_VERSION=$(npm_pin @pulumi/pulumi)          # also the `pulumi` npm package; pkg/v3 + sdk/v3 tags
PULUMI_NODEJS_HOST_VERSION=$PULUMI_VERSION        # built from pulumi/pulumi's source at tag v<version>
K8S_PROVIDER_VERSION=$(npm_pin @pulumi/kubernetes)  # pulumi/pulumi-kubernetes tag v<version>
RANDOM_PROVIDER_VERSION=$(npm_pin @pulumi/random)   # pulumi/pulumi-random tag v<version>
COMMAND_PROVIDER_VERSION=$(npm_pin @pulumi/command) # pulumi/pulumi-command tag v<version>
# renovate: datasource=github-releases depName=kubernetes/kubernetes extractVersion=^v(?<version>.+)$
KUBERNETES_VERSION=1.34.4                   # kube-apiserver, kube-controller-manager, kubectl (k8s.io/kubernetes)
# renovate: datasource=github-releases depName=etcd-io/etcd extractVersion=^v(?<version>.+)$
ETCD_VERSION=3.6.4                          # go.etcd.io/etcd/server/v3: the version k8s.io/kubernetes v1.34.4 requires
# renovate: datasource=github-releases depName=helm/helm extractVersion=^v(?<version>.+)$
HELM_VERSION=3.20.2                         # helm.sh/helm/v3 as pulumi-kubernetes' provider/go.mod requires it (docs/decisions.md)

# Upstream source. The Go module proxy does not serve the language host or the
# provider modules at their release commits, so those are built from their
# repositories: a directory holding one git repository per upstream project,
# named <owner>+<name> (a bare dir or one with a repo/ bare dir inside, as
# DEVELOPERS.md's mirrors are) or just <name> (a plain `git clone`):
#   PICLUSTER_UPSTREAM_SRC=~/src/upstream
#     ~/src/upstream/pulumi-command   (git clone https://github.com/pulumi/pulumi-command)
#     ~/src/upstream/pulumi, pulumi-kubernetes, pulumi-random
UPSTREAM_SRC=${PICLUSTER_UPSTREAM_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-upstream}

# renovate: datasource=github-releases depName=rhysd/actionlint extractVersion=^v(?<version>.+)$
ACTIONLINT_VERSION=1.7.12                   # github.com/rhysd/actionlint (CI only)
# renovate: datasource=go depName=github.com/johannesboyne/gofakes3 extractVersion=^v(?<version>.+)$
GOFAKES3_VERSION=1.2.0                      # github.com/johannesboyne/gofakes3 (test/e2e/state.ts only)

# What the e2e suite needs (the default set); actionlint is built only by name.
PIECES=(pulumi language-nodejs provider-kubernetes provider-random provider-command kubernetes etcd helm pod-security)
ALL_PIECES=("${PIECES[@]}" actionlint gofakes3)

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
    etcd) echo "$ETCD_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    pod-security) echo "$KUBERNETES_VERSION" ;;
    actionlint) echo "$ACTIONLINT_VERSION" ;;
    gofakes3) echo "$GOFAKES3_VERSION" ;;
    *) die "unknown piece: $1 (known: ${ALL_PIECES[*]})" ;;
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
    actionlint) echo "actionlint" ;;
    gofakes3) echo "gofakes3" ;;
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
    etcd) out=$("$path" --version 2>/dev/null) && [[ $out == *"etcd Version: $ETCD_VERSION"* ]] ;;
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
# new_work PIECE -> prints a fresh work directory (per version: builds of other
# versions of the piece may be running)
new_work() {
  local w
  w="$TOOLCHAIN_DIR/work/$1-v$(piece_version "$1")"
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

# ---------------------------------------------------------------------------
# Upstream source
# ---------------------------------------------------------------------------
# upstream_repo OWNER/NAME -> a git dir of that project under $UPSTREAM_SRC
upstream_repo() {
  local c
  for c in "$UPSTREAM_SRC/${1/\//+}/repo" "$UPSTREAM_SRC/${1/\//+}" "$UPSTREAM_SRC/${1#*/}"; do
    if git -C "$c" rev-parse --git-dir >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}
# has_source OWNER/NAME TAG: the project's repository is there and has the tag
has_source() {
  local repo
  repo=$(upstream_repo "$1") && git -C "$repo" rev-parse -q --verify "refs/tags/$2^{commit}" >/dev/null
}
# src_extract OWNER/NAME TAG PATH DEST: write PATH of TAG's tree under DEST.
# Files whose content the repository lacks (a partial mirror leaves out very
# large blobs, e.g. pulumi-kubernetes' generated schema.json) are left out and
# listed; the recipes below regenerate the ones they need.
src_extract() {
  local project=$1 tag=$2 path=$3 dest=$4 repo list gone keep=()
  repo=$(upstream_repo "$project") \
    || { log "no source of $project under $UPSTREAM_SRC (set PICLUSTER_UPSTREAM_SRC, see docs/toolchain.md)"; return 1; }
  git -C "$repo" rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null \
    || { log "$repo has no tag $tag"; return 1; }
  list=$(git -C "$repo" ls-tree -r --format='%(objecttype) %(objectname) %(path)' "$tag" -- "$path" | awk '$1 == "blob" { sub(/^blob /, ""); print }')
  gone=$(printf '%s\n' "$list" | cut -d' ' -f1 | git -C "$repo" cat-file --batch-check 2>/dev/null | awk '$2 == "missing" { print $1 }')
  while read -r p; do
    log "$project $tag: $p is not in $repo (left out)"
  done < <(awk 'NR == FNR { g[$1] = 1; next } ($1 in g) { sub(/^[^ ]+ /, ""); print }' <(printf '%s\n' "$gone") <(printf '%s\n' "$list"))
  # git archive refuses a tree with a missing blob even when excluded: name every file kept.
  mapfile -t keep < <(awk 'NR == FNR { g[$1] = 1; next } !($1 in g) { sub(/^[^ ]+ /, ""); print }' <(printf '%s\n' "$gone") <(printf '%s\n' "$list"))
  ((${#keep[@]})) || { log "$project $tag has no files under $path"; return 1; }
  mkdir -p "$dest"
  git -C "$repo" --literal-pathspecs archive --format=tar "$tag" -- "${keep[@]}" | tar -x -C "$dest" || return 1
  log "$project $tag: $path from $repo (commit $(git -C "$repo" rev-parse --short=12 "$tag^{commit}"))"
}

# The module proxy refuses some of the versions these providers' go.mod files
# name (403 "This module version is not available"). Two remedies, both logged:
# raise_pulumi MODDIR VERSION: require github.com/pulumi/pulumi/{pkg,sdk}/v3 at
#   VERSION, the nearest release above upstream's pin that the proxy serves.
raise_pulumi() {
  (cd "$1" && go mod edit -require "github.com/pulumi/pulumi/pkg/v3@$2" \
    -require "github.com/pulumi/pulumi/sdk/v3@$2") || return 1
  log "github.com/pulumi/pulumi/{pkg,sdk}/v3 raised to $2 (the proxy refuses upstream's pin)"
}
# dep_from_source MODDIR MODULE OWNER/NAME SUBDIR [TAG_PREFIX]: the version of
# MODULE that MODDIR/go.mod requires, taken from its upstream repository (the
# commit of a pseudo-version, else tag TAG_PREFIX<version>) and replaced in.
dep_from_source() {
  local moddir=$1 module=$2 project=$3 sub=$4 prefix=${5-} ver ref dest
  ver=$(awk -v m="$module" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$moddir/go.mod")
  [[ -n $ver ]] || { log "$moddir/go.mod does not require $module"; return 1; }
  if [[ $ver =~ [.-][0-9]{14}-([0-9a-f]{12})$ ]]; then ref=${BASH_REMATCH[1]}; else ref=$prefix$ver; fi
  dest="$moddir/.deps/${project#*/}"
  local repo; repo=$(upstream_repo "$project") \
    || { log "no source of $project under $UPSTREAM_SRC, needed for $module@$ver"; return 1; }
  git -C "$repo" rev-parse -q --verify "$ref^{commit}" >/dev/null || { log "$repo has no $ref ($module@$ver)"; return 1; }
  mkdir -p "$dest"
  git -C "$repo" archive --format=tar "$ref" -- "${sub:-.}" | tar -x -C "$dest" || return 1
  (cd "$moddir" && go mod edit -replace "$module=./.deps/${project#*/}/${sub:-.}") || return 1
  log "$module@$ver: from $project at $ref (the proxy refuses it)"
}

# The language host has been its own Go module (sdk/nodejs/cmd/pulumi-language-nodejs/v3)
# since v3.69.0; the proxy serves none of its versions. Built from the tag's
# folder, with its two local replaces (../../../../pkg, ../../../../sdk) turned
# into requirements on the same release from the proxy.
build_language-nodejs() {
  local w v=$PULUMI_NODEJS_HOST_VERSION
  w=$(new_work language-nodejs)
  export GONOSUMDB=github.com/pulumi
  src_extract pulumi/pulumi "v$v" sdk/nodejs/cmd/pulumi-language-nodejs "$w/src" || return 1
  (cd "$w/src/sdk/nodejs/cmd/pulumi-language-nodejs" \
    && go mod edit -dropreplace github.com/pulumi/pulumi/pkg/v3 -dropreplace github.com/pulumi/pulumi/sdk/v3 \
      -require "github.com/pulumi/pulumi/pkg/v3@v$v" -require "github.com/pulumi/pulumi/sdk/v3@v$v" \
    && go build "${GO_BUILD_FLAGS[@]}" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$v" \
      -o "$w/out/pulumi-language-nodejs" .) || return 1
  finish language-nodejs "$w"
}

# pulumi-kubernetes at the tag of the npm pin. Its schema.json is generated
# and too large for a partial mirror; it is made as upstream's Makefile does
# (`pulumi-gen-kubernetes schema` on the OpenAPI spec of KUBE_VERSION, merged
# with the older specs main.go lists), the specs taken from the k8s.io/kubernetes
# Go modules (api/openapi-spec/swagger.json), then compared with the blob id
# the tag's tree records.
build_provider-kubernetes() {
  local w v=$K8S_PROVIDER_VERSION mod=github.com/pulumi/pulumi-kubernetes/provider/v4 repo
  local cmd=provider/cmd/pulumi-resource-kubernetes gen=provider/cmd/pulumi-gen-kubernetes
  w=$(new_work provider-kubernetes)
  export GONOSUMDB=github.com/pulumi
  src_extract pulumi/pulumi-kubernetes "v$v" provider "$w/src" || return 1
  repo=$(upstream_repo pulumi/pulumi-kubernetes)
  # upstream: replace sdk/v4 => ../sdk (same tag); here its release from the proxy
  (cd "$w/src/provider" && go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$v") || return 1
  # upstream pins v3.243.0 (refused; so are v3.243.1 and v3.244.0)
  raise_pulumi "$w/src/provider" v3.245.0 || return 1
  # only pulumi-gen-kubernetes imports it
  dep_from_source "$w/src/provider" github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3 \
    pulumi/pulumi-dotnet pulumi-language-dotnet pulumi-language-dotnet/ || return 1
  dep_from_source "$w/src/provider" github.com/fluxcd/pkg/ssa fluxcd/pkg ssa ssa/ || return 1
  if [[ ! -f $w/src/$cmd/schema.json ]]; then
    local kube legacy specs="$w/src/provider/pkg/gen/openapi-specs" k d
    kube=$(git -C "$repo" show "v$v:Makefile" | sed -n 's/^KUBE_VERSION[[:space:]]*?=[[:space:]]*//p')
    legacy=$(sed -n 's/.*for _, v := range \[\]string{\(.*\)} {.*/\1/p' "$w/src/$gen/main.go" | tr -d '",')
    [[ -n $kube && -n $legacy ]] || { log "cannot read KUBE_VERSION or the legacy spec list at v$v"; return 1; }
    mkdir -p "$specs" "$w/src/sdk/schema"
    local versions=("$kube")
    for k in $legacy; do versions+=("v1.$k.0"); done
    for k in "${versions[@]}"; do
      d=$(mod_field "k8s.io/kubernetes@$k" Dir)
      [[ -f $d/api/openapi-spec/swagger.json ]] || { log "no swagger.json in k8s.io/kubernetes@$k"; return 1; }
      cp "$d/api/openapi-spec/swagger.json" "$specs/swagger-$k.json"
    done
    # terraform.json (input of the terraform-mapping.json the tag commits) may be
    # absent as well: then keep the committed mapping.
    local keep_mapping=0
    if [[ ! -f $w/src/$gen/terraform.json ]]; then
      keep_mapping=1; echo '{}' > "$w/src/$gen/terraform.json"
      cp "$w/src/$cmd/terraform-mapping.json" "$w/terraform-mapping.json"
    fi
    (cd "$w/src/provider" && go build "${GO_BUILD_FLAGS[@]}" -o "$w/pulumi-gen-kubernetes" ./cmd/pulumi-gen-kubernetes \
      && "$w/pulumi-gen-kubernetes" -version "$v" schema "$specs/swagger-$kube.json" "$w/src") || return 1
    ((keep_mapping)) && cp "$w/terraform-mapping.json" "$w/src/$cmd/terraform-mapping.json"
    local want got
    want=$(git -C "$repo" rev-parse "v$v:$cmd/schema.json")
    got=$(git hash-object "$w/src/$cmd/schema.json")
    if [[ $want == "$got" ]]; then
      log "generated schema.json is byte-identical to the one tag v$v records (blob $want)"
    else
      log "generated schema.json differs from the one tag v$v records (blob $want, made $got)"
      return 1
    fi
  fi
  (cd "$w/src/$cmd" && VERSION=$v go run generate.go \
    && cd "$w/src/provider" && go build "${GO_BUILD_FLAGS[@]}" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$v" \
      -o "$w/out/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes) || return 1
  finish provider-kubernetes "$w"
}

# pulumi-command at the tag of the npm pin (its provider module, untagged, is
# not served by the proxy).
build_provider-command() {
  local w v=$COMMAND_PROVIDER_VERSION
  w=$(new_work provider-command)
  export GONOSUMDB=github.com/pulumi
  src_extract pulumi/pulumi-command "v$v" provider "$w/src" || return 1
  (cd "$w/src/provider" && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$v" \
    -o "$w/out/pulumi-resource-command" ./cmd/pulumi-resource-command) || return 1
  finish provider-command "$w"
}

# pulumi-random (a bridged Terraform provider) at the tag of the npm pin: its
# provider/ folder with the local shim module and the committed schema.json.
build_provider-random() {
  local w v=$RANDOM_PROVIDER_VERSION
  w=$(new_work provider-random)
  export GONOSUMDB=github.com/pulumi,github.com/terraform-providers
  src_extract pulumi/pulumi-random "v$v" provider "$w/src" || return 1
  # the bridge's tfgen (example conversion) imports both
  dep_from_source "$w/src/provider" github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3 \
    pulumi/pulumi-dotnet pulumi-language-dotnet pulumi-language-dotnet/ || return 1
  dep_from_source "$w/src/provider" github.com/pulumi/pulumi-yaml pulumi/pulumi-yaml "" || return 1
  (cd "$w/src/provider/cmd/pulumi-resource-random" && VERSION=$v go run generate.go) || return 1
  (cd "$w/src/provider" && go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version=$v" \
    -o "$w/out/pulumi-resource-random" ./cmd/pulumi-resource-random) || return 1
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

# gofakes3: upstream's own server command (cmd/gofakes3), an in-memory S3
# for the state test (test/e2e/state.ts); never a production store.
build_gofakes3() {
  local w; w=$(new_work gofakes3)
  GOBIN="$w/out" go install "${GO_BUILD_FLAGS[@]}" -ldflags "-s -w" "github.com/johannesboyne/gofakes3/cmd/gofakes3@v$GOFAKES3_VERSION" || return 1
  finish gofakes3 "$w"
}

build_actionlint() {
  local w
  w=$(new_work actionlint)
  # A plain module without replace lines: `go install` at the tag is upstream's own recipe.
  GOBIN="$w/out" go install "${GO_BUILD_FLAGS[@]}" -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" || return 1
  finish actionlint "$w"
}

# etcd: upstream's server module at the pinned version, started the way
# upstream's own main does (etcdmain.Main); the module proxy has it, with no
# replace lines to drop. Only the release build's git SHA is missing.
build_etcd() {
  local w; w=$(new_work etcd)
  printf 'module picluster.local/toolchain/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > "$w/go.mod"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > "$w/main.go"
  (cd "$w" && go mod tidy && go build "${GO_BUILD_FLAGS[@]}" -ldflags "-s -w" -o out/etcd .) || return 1
  finish etcd "$w"
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
#  3. The dynamic-provider launcher (scripts/pulumi-resource-pulumi-nodejs):
#     the official CLI ships one beside `pulumi`, the Go build does not, and
#     without it the program's drift observation cannot run. A copy goes
#     beside a cached `pulumi` (so the cache outlives this checkout), and
#     into the versions directory with the rest.
link_pulumi_plugins() {
  local pulumi_dir bin d target
  pulumi_dir=$(locate pulumi pulumi)
  [[ -n $pulumi_dir ]] || return 0
  local host_dir; host_dir=$(locate pulumi-language-nodejs language-nodejs)
  if [[ $pulumi_dir == "$TOOLCHAIN_DIR"/* && -n $host_dir && $host_dir != "$pulumi_dir" ]]; then
    ln -sfn "$host_dir/pulumi-language-nodejs" "$pulumi_dir/pulumi-language-nodejs"
  fi
  if [[ $pulumi_dir == "$TOOLCHAIN_DIR"/* ]]; then
    install -m 0755 "$REPO_ROOT/scripts/pulumi-resource-pulumi-nodejs" "$pulumi_dir/pulumi-resource-pulumi-nodejs"
  fi
  target="${PULUMI_HOME:-$HOME/.pulumi}/versions/$PULUMI_VERSION/bin"
  mkdir -p "$target" 2>/dev/null || return 0
  for bin in pulumi pulumi-language-nodejs pulumi-resource-pulumi-nodejs pulumi-resource-kubernetes pulumi-resource-random pulumi-resource-command; do
    case "$bin" in
      pulumi | pulumi-resource-pulumi-nodejs) d=$pulumi_dir ;;
      pulumi-language-nodejs) d=$host_dir ;;
      *) d=$(locate "$bin" "provider-${bin#pulumi-resource-}") ;;
    esac
    [[ -n $d && -x $d/$bin ]] || continue
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

# piece -> "upstream project/module and ref|built from"
piece_source() {
  case "$1" in
    pulumi) echo "upstream: Go module github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION (module proxy)" ;;
    language-nodejs) echo "upstream: pulumi/pulumi tag v$PULUMI_NODEJS_HOST_VERSION, sdk/nodejs/cmd/pulumi-language-nodejs" ;;
    provider-kubernetes) echo "upstream: pulumi/pulumi-kubernetes tag v$K8S_PROVIDER_VERSION, provider/ (schema.json regenerated as upstream's Makefile does)" ;;
    provider-random) echo "upstream: pulumi/pulumi-random tag v$RANDOM_PROVIDER_VERSION, provider/" ;;
    provider-command) echo "upstream: pulumi/pulumi-command tag v$COMMAND_PROVIDER_VERSION, provider/" ;;
    kubernetes) echo "upstream: Go module k8s.io/kubernetes@v$KUBERNETES_VERSION (module proxy)" ;;
    etcd) echo "upstream: Go module go.etcd.io/etcd/server/v3@v$ETCD_VERSION (module proxy), started through its etcdmain" ;;
    actionlint) echo "upstream: Go module github.com/rhysd/actionlint@v$ACTIONLINT_VERSION (module proxy)" ;;
    gofakes3) echo "upstream: Go module github.com/johannesboyne/gofakes3@v$GOFAKES3_VERSION, cmd/gofakes3 (module proxy)" ;;
    helm) echo "upstream: Go module helm.sh/helm/v3@v$HELM_VERSION (module proxy)" ;;
    pod-security) echo "this project's filter around Go module k8s.io/pod-security-admission@v0.${KUBERNETES_VERSION#1.} (module proxy)" ;;
  esac
}
# piece -> the upstream repository it needs under $UPSTREAM_SRC and its tag (empty: none)
piece_repo() {
  case "$1" in
    language-nodejs) echo "pulumi/pulumi v$PULUMI_NODEJS_HOST_VERSION" ;;
    provider-kubernetes) echo "pulumi/pulumi-kubernetes v$K8S_PROVIDER_VERSION" ;;
    provider-random) echo "pulumi/pulumi-random v$RANDOM_PROVIDER_VERSION" ;;
    provider-command) echo "pulumi/pulumi-command v$COMMAND_PROVIDER_VERSION" ;;
  esac
}
# can_build PIECE: its source can be had here (its repository at the tag, or the proxy)
can_build() {
  local r
  r=$(piece_repo "$1")
  if [[ -n $r ]]; then has_source "${r% *}" "${r#* }"; else command -v go >/dev/null 2>&1; fi
}
sources() {
  local piece state bin
  echo "upstream source directory (PICLUSTER_UPSTREAM_SRC): $UPSTREAM_SRC"
  for piece in "${ALL_PIECES[@]}"; do
    state=built
    for bin in $(piece_binaries "$piece"); do [[ -n $(locate "$bin" "$piece") ]] || state=missing; done
    if [[ $state == missing ]]; then
      if can_build "$piece"; then state="missing, buildable"; else state="missing, NO SOURCE"; fi
    fi
    printf '%-20s %-9s %-20s %s\n' "$piece" "$(piece_version "$piece")" "[$state]" "$(piece_source "$piece")"
  done
}

main() {
  case "${1-}" in
    --sources) sources; return ;;
    --which)
      # --which BINARY: the path of a located binary, or exit 1
      local pc b d
      for pc in "${ALL_PIECES[@]}"; do
        for b in $(piece_binaries "$pc"); do
          [[ $b == "${2-}" ]] || continue
          d=$(locate "$b" "$pc"); [[ -n $d ]] && { echo "$d/$b"; return 0; }
        done
      done
      return 1 ;;
    --available)
      # build the missing e2e pieces whose source is here; name the others
      shift
      local pc want=() skipped=()
      for pc in "${PIECES[@]}"; do
        if can_build "$pc"; then want+=("$pc"); else skipped+=("$pc"); fi
      done
      ((${#skipped[@]} == 0)) || log "no source here for: ${skipped[*]} (not built; see --sources)"
      ((${#want[@]})) || return 1
      main "${want[@]}"
      return ;;
    --env) print_env; return ;;
    --check) shift; check "$@"; return ;;
    --list)
      local piece
      for piece in "${ALL_PIECES[@]}"; do
        printf '%-20s %-10s %s\n' "$piece" "$(piece_version "$piece")" "$(piece_binaries "$piece")"
      done
      return ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p;}' "$0"; return ;;
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

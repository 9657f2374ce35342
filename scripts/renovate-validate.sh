#!/usr/bin/env bash
# Validates renovate.json with Renovate's own validator, pinned, in strict mode
# (a warning or a needed config migration fails too):
#
#   bash scripts/renovate-validate.sh
#
# Renovate is large (renovate@42.99.0: 797 packages, 458 MB of node_modules,
# about 3 minutes to install cold), so it is installed once per version into a
# cache outside the repository, ${PICLUSTER_RENOVATE_DIR:-~/.cache/picluster-renovate}/<version>;
# a warm run takes about 2 s. It runs on the project's Node.js (.nvmrc, via
# scripts/node.sh): Renovate 43 and later need Node.js 24, hence the
# allowedVersions rule for renovate in renovate.json.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# renovate: datasource=npm depName=renovate
RENOVATE_VERSION=42.99.0
node_bin=$(bash "$repo/scripts/node.sh")
export PATH="$node_bin:$PATH"
dir="${PICLUSTER_RENOVATE_DIR:-$HOME/.cache/picluster-renovate}/$RENOVATE_VERSION"
bin="$dir/node_modules/.bin/renovate-config-validator"
if [[ ! -x $bin ]]; then
  echo "renovate-validate: installing renovate@$RENOVATE_VERSION into $dir (once per version)" >&2
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  npm install --prefix "$dir.partial" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "renovate@$RENOVATE_VERSION" >&2
  # Only a finished install takes the version's name.
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
fi
cd "$repo"
"$bin" --strict --no-global renovate.json

#!/usr/bin/env bash
# Checks the default k3s installer (DEFAULT_INSTALLER in config/schema/cluster.ts)
# against its pinned sha256 by downloading it. Renovate bumps the installer's
# commit but cannot hash the file, so its pull request fails here until a
# reviewer has read install.sh's diff and set the new sha256
# (docs/operations.md, "Bump a pin"). Needs the network: the PR workflow runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r url sha < <(npx tsx --eval 'import { DEFAULT_INSTALLER as d } from "./config/schema/cluster"; console.log(d.url, d.sha256)')
got=$(curl -fsSL --max-time 60 "$url" | sha256sum | cut -d' ' -f1)
if [[ $got != "$sha" ]]; then
  echo "k3s installer: $url has sha256 $got, DEFAULT_INSTALLER.sha256 says $sha." >&2
  echo "Review install.sh's change, then set DEFAULT_INSTALLER.sha256 in config/schema/cluster.ts to $got." >&2
  exit 1
fi
echo "k3s installer: $url matches its sha256 $sha"

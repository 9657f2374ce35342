#!/usr/bin/env bash
# Prints the PATH the e2e suite runs with (scripts/toolchain.sh --env), or
# says on stderr what is missing and exits 1. Every piece is the upstream
# build at the version package.json pins; there are no stand-ins.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
toolchain="$repo/scripts/toolchain.sh"
[ -x "$toolchain" ] || { echo "scripts/toolchain.sh is missing" >&2; exit 1; }
if ! check=$("$toolchain" --check 2>&1); then
    printf '%s\n' "$check" >&2
    exit 1
fi
env_lines=$("$toolchain" --env) || { echo "scripts/toolchain.sh --env failed" >&2; exit 1; }
eval "$env_lines"
# Dynamic providers (the drift observation) need the engine's
# pulumi-resource-pulumi-nodejs launcher, which a CLI built from Go modules
# lacks: this project's own is last on PATH, so a real one wins.
PATH="$PATH:$repo/test/e2e/bin"
printf '%s\n' "$PATH"

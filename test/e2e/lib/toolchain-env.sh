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
# pulumi-resource-pulumi-nodejs launcher beside the CLI: the official CLI
# ships one; for the one built here, scripts/toolchain.sh puts this
# project's own there (docs/toolchain.md).
if ! command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1; then
    echo "no pulumi-resource-pulumi-nodejs beside the Pulumi CLI: run scripts/toolchain.sh, which puts it there" >&2
    exit 1
fi
printf '%s\n' "$PATH"

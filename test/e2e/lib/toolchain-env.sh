#!/usr/bin/env bash
# Prints the PATH the e2e suite runs with (scripts/toolchain.sh --env), or
# says on stderr why there is none and exits 1.
#
# One piece may be missing: the pulumi-command plugin, which the Go module
# proxy does not serve. Then the suite's own stand-in
# (test/e2e/command-provider, see its main.go) is built and put first on
# PATH, and a line on stderr says so.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
toolchain="$repo/scripts/toolchain.sh"
[ -x "$toolchain" ] || { echo "scripts/toolchain.sh is missing" >&2; exit 1; }
check=$("$toolchain" --check 2>&1)
rc=$?
env_lines=$("$toolchain" --env) || { echo "scripts/toolchain.sh --env failed" >&2; exit 1; }
eval "$env_lines"
if [ "$rc" -ne 0 ]; then
    missing=$(printf '%s\n' "$check" | awk '$1 == "MISSING" { print $2 }')
    if [ "$missing" != pulumi-resource-command ]; then
        printf '%s\n' "$check" >&2
        exit 1
    fi
    out="${PICLUSTER_TOOLCHAIN_DIR:-$HOME/.cache/picluster-toolchain}/e2e-command-standin/bin"
    if ! "$repo/test/e2e/command-provider/build.sh" "$out" >&2; then
        echo "pulumi-resource-command is missing and building the e2e stand-in (test/e2e/command-provider) failed" >&2
        exit 1
    fi
    PATH="$out:$PATH"
    echo "e2e: pulumi-resource-command is not in the toolchain (the Go module proxy does not serve pulumi-command); using the stand-in built from test/e2e/command-provider" >&2
fi
# Dynamic providers (the drift observation) need the engine's
# pulumi-resource-pulumi-nodejs launcher, which a CLI built from Go modules
# lacks: this project's own is last on PATH, so a real one wins.
PATH="$PATH:$repo/test/e2e/bin"
printf '%s\n' "$PATH"

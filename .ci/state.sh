#!/usr/bin/env bash
# The state test (test/e2e/state.ts): the real Pulumi CLI on a tiny project,
# the embedded local backend, `npm run state -- migrate` to an S3-compatible
# server on loopback (gofakes3, built from its Go module), a preview with no
# changes there, and two concurrent `up`s of which the lock refuses one.
# Says SKIPPED, and why, when a piece cannot be had; that is no pass.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if command -v go >/dev/null 2>&1; then
    scripts/toolchain.sh gofakes3 >/dev/null || echo "state: gofakes3 could not be built (see the log above)"
fi
exec npx --no-install tsx test/e2e/state.ts

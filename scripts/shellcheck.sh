#!/usr/bin/env bash
# Lints every shell script the project ships or tests with: tracked *.sh
# files, the command stubs under test/scripts/fixtures/bin and the
# dynamic-provider launcher.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck is not installed (Debian/Ubuntu: apt-get install shellcheck)" >&2
    exit 1
fi
mapfile -t files < <({ git ls-files '*.sh'; git ls-files 'test/scripts/fixtures/bin/*' scripts/pulumi-resource-pulumi-nodejs; } | sort -u)
shellcheck -x "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"

#!/usr/bin/env bash
# Runs a Pulumi command through scripts/pulumi.sh (its output also on the
# console) and writes OUT.md for a pull-request comment or a job summary: a
# marker line, TITLE with the result, the output in a text block (cut to fit
# a GitHub comment). Exits with the CLI's status.
#
# Usage: scripts/pulumi-report.sh OUT.md TITLE PULUMI_ARGS...
#   e.g. scripts/pulumi-report.sh preview.md "pulumi preview (pi)" preview --stack pi --policy-pack policy
set -uo pipefail

out=${1:?usage: scripts/pulumi-report.sh OUT.md TITLE PULUMI_ARGS...}
title=${2:?usage: scripts/pulumi-report.sh OUT.md TITLE PULUMI_ARGS...}
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT

bash "$(dirname "$0")/pulumi.sh" "$@" --color never 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

slug=$(printf '%s' "$title" | tr -c 'a-zA-Z0-9' '-' | tr '[:upper:]' '[:lower:]')
result="ok"
[[ $rc -eq 0 ]] || result="failed (exit $rc)"
{
    echo "<!-- picluster-$slug -->"
    echo "### $title: $result"
    echo
    echo '```text'
    head -c 60000 "$log"
    [[ $(wc -c <"$log") -le 60000 ]] || printf '\n… cut at 60,000 characters; the job log has the rest.\n'
    echo '```'
} >"$out"
exit "$rc"

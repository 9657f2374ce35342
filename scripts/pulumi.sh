#!/usr/bin/env bash
# The one entry to the Pulumi CLI (scripts/pulumi.ts says what it chooses):
#
#   bash scripts/pulumi.sh preview --stack pi     # any pulumi command
#   eval "$(bash scripts/pulumi.sh --env)"        # the same choice for a shell:
#                                                 # PULUMI_BACKEND_URL, the passphrase,
#                                                 # PICLUSTER_PULUMI (the CLI's path)
#
# Every run prints one line on stderr: the stack, the backend and where it
# was chosen, the CLI (path and version), the passphrase's source.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tsx="$root/node_modules/.bin/tsx"
if [[ ! -x $tsx ]]; then
    echo "pulumi.sh: $tsx is missing; run npm ci in $root first" >&2
    exit 1
fi
exec "$tsx" "$root/scripts/pulumi.ts" "$@"

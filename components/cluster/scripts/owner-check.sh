#!/usr/bin/env bash
# Runs on the first server before any other step of a picluster state:
# checks which Pulumi state owns this cluster, and claims it when none does.
# Runs as root.
#
# Two states managing one cluster (a workstation's and CI's, or a copy of a
# stack) replace each other's tokens, reinstall k3s and delete each other's
# releases. So the first state to install records itself in
# /var/lib/picluster/owner (`id=`, the state's own random id; `name=`, its
# project/stack), and every later state's first step is refused here,
# before pre-flight, naming both, while the owner's steps go on.
#
# A cluster without a record (a new host, or one installed before records
# existed) is claimed. Moving a stack to another backend keeps its id (it
# lives in the state), so a migrated state still owns its cluster.
#
# Inputs (environment): OWNER_ID (hex), OWNER_NAME (e.g.
# organization/picluster/dev), OWNER_BACKEND (shown only, may be empty).
# PICLUSTER_ROOT prefixes file paths, for tests. Exit 0 owned or claimed,
# 3 owned by another state.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
OWNER_ID="${OWNER_ID:?OWNER_ID is required}"
OWNER_NAME="${OWNER_NAME:?OWNER_NAME is required}"
OWNER_BACKEND="${OWNER_BACKEND:-}"
RECORD="$ROOT/var/lib/picluster/owner"

field() { sed -n "s/^$1=//p" "$RECORD" | head -n 1; }

if [ -s "$RECORD" ]; then
    id="$(field id)"
    name="$(field name)"
    if [ "$id" = "$OWNER_ID" ]; then
        echo "cluster owned by this state ($OWNER_NAME, state id $OWNER_ID)"
        exit 0
    fi
    {
        echo "this cluster is owned by another picluster state: $name (state id $id), recorded in /var/lib/picluster/owner on $(hostname)."
        echo "This stack is $OWNER_NAME (state id $OWNER_ID${OWNER_BACKEND:+, backend $OWNER_BACKEND}); nothing was changed."
        echo "Use the owner's state (its backend and passphrase: docs/operations.md, \"State and environments\"), or move that state with npm run state -- migrate."
        echo "Only when the owner's state is gone for good, release the cluster: ssh to this server and run 'sudo rm /var/lib/picluster/owner', then run up again."
    } >&2
    exit 3
fi

mkdir -p "$(dirname "$RECORD")"
tmp="$(mktemp "$RECORD.XXXXXX")"
printf 'id=%s\nname=%s\nclaimed=%s\n' "$OWNER_ID" "$OWNER_NAME" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$RECORD"
echo "cluster claimed by this state ($OWNER_NAME, state id $OWNER_ID)"

#!/usr/bin/env bash
# Prints the sha256 of the cluster CA, <data-dir>/server/tls/server-ca.crt on
# the first server: the <ca-hash> every joining node's token pins. Runs as
# root, read-only.
#
# It runs beside the first server's install, not after it: k3s writes the
# CA within moments of starting, long before the install's wait ends, so the
# joining nodes' configs are ready the moment the server is up instead of
# one SSH step later. It waits for the whole certificate (its END line; k3s
# writes the file once), at most READY_TIMEOUT seconds, and gives up at once
# when the install records a failure after this script started (k3s-install.sh
# writes /var/lib/picluster/install.failed), so a failed install never leaves
# the `up` waiting here.
#
# Inputs (environment): DATA_DIR (default /var/lib/rancher/k3s),
# READY_TIMEOUT (seconds, default 300), POLL_INTERVAL (seconds, default 0.2).
# PICLUSTER_ROOT prefixes file paths, for tests.
set -euo pipefail

ROOT="${PICLUSTER_ROOT:-}"
DATA_DIR="${DATA_DIR:-/var/lib/rancher/k3s}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-0.2}"
CA="$ROOT$DATA_DIR/server/tls/server-ca.crt"
FAILED="$ROOT/var/lib/picluster/install.failed"

started="$(mktemp)"
trap 'rm -f "$started"' EXIT
deadline=$((SECONDS + READY_TIMEOUT))
until [ -s "$CA" ] && grep -q -- '-----END CERTIFICATE-----' "$CA"; do
    if [ -f "$FAILED" ] && [ "$FAILED" -nt "$started" ]; then
        echo "no cluster CA: the first server's install failed ($(cat "$FAILED")); see its error" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "no cluster CA at $CA within ${READY_TIMEOUT}s: k3s did not start on the first server; see its install step" >&2
        exit 1
    fi
    sleep "$POLL_INTERVAL"
done
sha256sum "$CA"

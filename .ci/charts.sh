#!/usr/bin/env bash
# Runs the chart layer (npm run test:charts) when this machine has what it
# needs: helm and pod-security from scripts/toolchain.sh (built here if Go is
# there) and the chart cache, filled offline from local chart sources
# ($PICLUSTER_CHART_SOURCES, docs/charts.md) or online (PICLUSTER_CHARTS_ONLINE=1).
# When something is missing it says what and exits 0 WITHOUT counting the
# layer as passed; when everything is there, a failure fails CI.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

skip() {
    echo "charts: NOT RUN (not a pass): $1"
    exit 0
}

if ! scripts/toolchain.sh --check helm pod-security >/dev/null 2>&1; then
    command -v go >/dev/null 2>&1 || skip "helm and pod-security are not built and there is no Go to build them (scripts/toolchain.sh helm pod-security)"
    bash scripts/toolchain.sh helm pod-security >/dev/null || skip "building helm/pod-security failed (see ~/.cache/picluster-toolchain/logs)"
fi
if [ "${PICLUSTER_CHARTS_ONLINE:-0}" = 1 ]; then
    npm run --silent charts -- --online || exit 1
else
    npm run --silent charts || skip "the chart cache cannot be filled offline here (no chart sources under ${PICLUSTER_CHART_SOURCES:-/work/.mirror}); set PICLUSTER_CHARTS_ONLINE=1 where the chart repositories are reachable"
fi
echo "charts: cache filled; running npm run test:charts"
exec npm run --silent test:charts

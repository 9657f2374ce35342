# shellcheck shell=bash
# Included into node scripts (see lib/k3s-path.sh). Prints the whole seconds
# left until DEADLINE (a value of bash's SECONDS), at least 1: the timeout to
# hand a bounded wait such as `kubectl wait --timeout=<n>s`, which refuses 0.
seconds_left() {
    local left=$(($1 - SECONDS))
    echo $((left > 0 ? left : 1))
}

#!/usr/bin/env bash
# Rocket.Chat's MongoDB container: runs mongod as a one-member replica set,
# then init.js brings the set and its users to what the pod's Secret says
# (initiated once, the root user created once through the localhost
# exception, the application and metrics users created or updated on every
# start). Only then is READY_MARKER written, which the readiness probe needs.
# SIGTERM is passed on to mongod, which shuts down cleanly; mongod's exit is
# the container's. Parameters come from the environment (no secret in argv).
set -euo pipefail

: "${REPLICA_SET:?REPLICA_SET is required}"
: "${KEY_FILE:?KEY_FILE is required}"
: "${DB_PATH:=/data/db}"
: "${MONGO_PORT:=27017}"
: "${CACHE_GB:=0.25}"
: "${READY_MARKER:=/tmp/mongo-initialized}"
: "${START_TIMEOUT:=300}"
: "${POLL_INTERVAL:=1}"
: "${INIT_JS:=$(dirname "${BASH_SOURCE[0]}")/init.js}"

rm -f "$READY_MARKER"
mongod --replSet "$REPLICA_SET" --bind_ip_all --port "$MONGO_PORT" --dbpath "$DB_PATH" \
    --keyFile "$KEY_FILE" --wiredTigerCacheSizeGB "$CACHE_GB" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT

# Waits for mongod to exit and exits with its status.
finish() {
    local status=0 again
    wait "$pid" || status=$?
    # A trapped signal interrupts `wait` (status > 128) before mongod is down:
    # wait for mongod itself; 127 means that status already was mongod's.
    while ((status > 128)); do
        again=0
        wait "$pid" || again=$?
        ((again == 127)) && break
        status=$again
    done
    exit "$status"
}

stop() {
    echo "mongod.sh: $1; stopping mongod" >&2
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || true
    exit 1
}

start=$SECONDS
until mongosh --quiet --port "$MONGO_PORT" --eval 'db.hello().ok' >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || finish
    if ((SECONDS - start >= START_TIMEOUT)); then stop "mongod did not answer on port $MONGO_PORT within ${START_TIMEOUT}s"; fi
    sleep "$POLL_INTERVAL"
done

mongosh --quiet --port "$MONGO_PORT" --file "$INIT_JS" || stop "init.js could not bring the replica set and its users to the Secret's state (its error is above)"
touch "$READY_MARKER"
echo "mongod.sh: replica set $REPLICA_SET ready"
finish

#!/usr/bin/env bash
# Starts a local RocketGo in the foreground from ./bin with the configs in
# conf/: for now the name server only (the broker and dashboard come with
# their issues). Data lives under ./run. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p run
export ROCKETMQ_LOG_DIR=${ROCKETMQ_LOG_DIR:-$PWD/run/logs}
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait; }
trap cleanup INT TERM EXIT
./bin/mqnamesrv -c conf/namesrv.properties &
pids+=($!)
echo "name server on 127.0.0.1:9876 (logs in $ROCKETMQ_LOG_DIR); Ctrl-C to stop"
wait -n

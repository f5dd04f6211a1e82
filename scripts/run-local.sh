#!/usr/bin/env bash
# Starts a local RocketGo in the foreground from ./bin with the configs in
# conf/: a name server on 127.0.0.1:9876 and one broker (broker-a) on
# 127.0.0.1:10911. HOME is ./run for both, so ${HOME}/store in
# conf/broker.properties puts the store under ./run/store; logs go to
# ./run/logs. Ctrl-C stops both cleanly, broker first (they run in their own
# sessions, so only this script sees the terminal's SIGINT and orders it).
# The dashboard comes with its issue.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p run/logs
export HOME=$root/run
export ROCKETMQ_LOG_DIR=${ROCKETMQ_LOG_DIR:-$root/run/logs}
pids=()
# Stop in reverse start order, each before the next, so the broker can
# unregister from the name server before the name server goes.
cleanup() {
  trap - INT TERM EXIT
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup INT TERM EXIT

setsid "$root/bin/mqnamesrv" -c "$root/conf/namesrv.properties" &
pids+=($!)
# Wait (up to 10 s) until the name server accepts connections, so the
# broker's first registration does not have to wait for its 30 s retry.
for _ in $(seq 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/9876) 2>/dev/null; then break; fi
  sleep 0.1
done
setsid "$root/bin/mqbroker" -c "$root/conf/broker.properties" -n 127.0.0.1:9876 &
pids+=($!)
echo "RocketGo: name server 127.0.0.1:9876, broker 127.0.0.1:10911; data in $HOME, logs in $ROCKETMQ_LOG_DIR; Ctrl-C stops"
wait -n

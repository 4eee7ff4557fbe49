#!/usr/bin/env bash
# What a rolling restart costs an application: a standalone ZooKeeper and three brokers from a jar on loopback (small
# heaps), a topic of replication factor 3 (min.insync.replicas 2), a Java-client producer at a steady rate with
# acks=all and a group consumer (io.sluice.bench.RollingRestartBench); then each broker in turn gets a clean stop
# (SIGTERM), is started again with the README's run command on its data directory and port, and the script waits until
# every replica of the topic is back in sync before the next. Per restart it prints the longest gap between two
# acknowledged sends and between two records read, and the sends that failed; at the end the records acknowledged
# but never read (lost: must be 0) and read twice (duplicated). Run once with controlled shutdown on and once off.
#   bench/rolling-restart.sh [sluice.jar] [results-dir]
#   Env: ROUNDS=1 (rolling restarts of all three brokers per run) RATE=500 (records/s) PARTITIONS=6 HEAP=-Xmx256m
#   MODES="true false" (controlled.shutdown.enable per run) SETTLE=5 (seconds between restarts, once in sync)
#   BASELINE=15 (seconds of production before the first restart)
# Wrap it in flock /tmp/sluice-bench.lock on a shared machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-$(mktemp -d /tmp/sluice-rolling.XXXXXX)}"
ROUNDS="${ROUNDS:-1}"; RATE="${RATE:-500}"; PARTS="${PARTITIONS:-6}"; HEAP="${HEAP:--Xmx256m}"
MODES="${MODES:-true false}"; SETTLE="${SETTLE:-5}"; BASELINE="${BASELINE:-15}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$RES"
declare -A PID PORT
ZKPID=""; BENCHPID=""
cleanup() {
  for p in "${PID[@]}" $ZKPID $BENCHPID; do kill "$p" 2>/dev/null || true; done
  for p in "${PID[@]}" $ZKPID; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
  rm -rf "$RES"/d? "$RES/zk"
}
trap cleanup EXIT
start_broker() {  # $1 = id, $2 = controlled.shutdown.enable; the README's run command, on the same port and data
  # shellcheck disable=SC2086
  java $HEAP "-Xms${HEAP#-Xmx}" -jar "$JAR" --broker-id "$1" --http-port "${PORT[$1]}" --data-dir "$RES/d$1" \
    --set http.host=127.0.0.1 --set zookeeper.connect="127.0.0.1:$ZK" --set num.io.threads=2 \
    --set http.instances=1 --set num.event.loop.threads=1 --set controlled.shutdown.enable="$2" \
    >> "$RES/broker-$MODE-$1.log" 2>&1 &
  PID[$1]=$!
}
in_sync() {  # every replica of topic $1 in sync, as broker $2 sees it
  curl -sf "http://127.0.0.1:${PORT[$2]}/topics/$1" | jq -e '[.partitions[].replicas[] | .in_sync] | all and length > 0' \
    > /dev/null 2>&1
}
run() {  # $1 = controlled.shutdown.enable
  local mode="$1" topic="rolling-$1-$RANDOM" id other
  MODE="$mode"  # each run's brokers log apart: sluice_url reads the first "listening on" of a log
  ZK="$(free_port)"
  rm -rf "$RES"/d? "$RES/zk"; mkdir -p "$RES/zk"
  # outside the brokers, so that restarting one does not take ZooKeeper with it (as the embedded one would)
  printf 'dataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\ntickTime=2000\nadmin.enableServer=false\n' \
    "$RES/zk" "$ZK" > "$RES/zk.cfg"
  java -Xmx128m -cp "$JAR" org.apache.zookeeper.server.ZooKeeperServerMain "$RES/zk.cfg" > "$RES/zk.log" 2>&1 &
  ZKPID=$!
  for id in 1 2 3; do PORT[$id]="$(free_port)"; start_broker "$id" "$mode"; done
  for id in 1 2 3; do sluice_url "$RES/broker-$mode-$id.log" "${PID[$id]}" 180 > /dev/null; done
  until curl -sf "http://127.0.0.1:${PORT[1]}/cluster" | grep -o '"alive":true' | wc -l | grep -q 3; do sleep 0.2; done
  curl -sf -XPOST -H 'Content-Type: application/json' "http://127.0.0.1:${PORT[1]}/topics" -d "{\"name\":\"$topic\",
    \"partitions\":$PARTS,\"replication_factor\":3,\"configs\":{\"min.insync.replicas\":\"2\"}}" > /dev/null
  until in_sync "$topic" 1; do sleep 0.2; done
  exec 3> >(java -Xmx256m -cp "$JAR" io.sluice.bench.RollingRestartBench --topic "$topic" --rate "$RATE" \
    --url "http://127.0.0.1:${PORT[1]},http://127.0.0.1:${PORT[2]},http://127.0.0.1:${PORT[3]}" \
    > "$RES/bench-$mode.log" 2>&1)
  BENCHPID=$!
  sleep "$BASELINE"  # before the first restart: the baseline
  local round
  for round in $(seq "$ROUNDS"); do
    for id in 1 2 3; do
      other=$(( id % 3 + 1 ))
      echo "begin $round.$id load=$(cut -d' ' -f1 /proc/loadavg)" >&3
      kill -TERM "${PID[$id]}"
      while kill -0 "${PID[$id]}" 2>/dev/null; do sleep 0.05; done
      start_broker "$id" "$mode"
      sluice_url "$RES/broker-$mode-$id.log" "${PID[$id]}" 180 > /dev/null
      until in_sync "$topic" "$other"; do sleep 0.2; done
      echo "end" >&3
      sleep "$SETTLE"
    done
  done
  echo "stop" >&3
  exec 3>&-
  while kill -0 "$BENCHPID" 2>/dev/null; do sleep 0.2; done
  BENCHPID=""
  echo "== controlled.shutdown.enable=$mode, rate $RATE records/s, $PARTS partitions, RF 3 =="
  grep -E '^(baseline|restart|total|consumer failed)' "$RES/bench-$mode.log"
  for id in 1 2 3; do kill -TERM "${PID[$id]}"; done
  for id in 1 2 3; do while kill -0 "${PID[$id]}" 2>/dev/null; do sleep 0.2; done; done
  kill "$ZKPID"; while kill -0 "$ZKPID" 2>/dev/null; do sleep 0.2; done
  PID=(); ZKPID=""
}
echo "results in $RES"
for m in $MODES; do run "$m"; done

#!/usr/bin/env bash
# The load-generator source -> FileStreamSink flow (io.sluice.bench.ConnectBench: records per second end to end, from
# creating the connectors until the file holds every record) on two Sluice jars, alternating which goes first, each
# round on a fresh single broker. For a before/after comparison of a change to the connect worker.
# Usage: bench/kafka-connect/loadgen-ab.sh before.jar after.jar [records] [rounds]
set -euo pipefail
BEFORE=$1; AFTER=$2; N=${3:-200000}; ROUNDS=${4:-3}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }
one() { # jar label round
  local port zk dir pid
  port=$(free_port); zk=$(free_port); dir=$(mktemp -d /tmp/loadgen-ab.XXXX)
  java -Xmx1g -jar "$1" --http-port "$port" --data-dir "$dir/data" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port="$zk" --set connect.file.allowed.paths="$dir" > "$dir/broker.log" 2>&1 &
  pid=$!
  wait_http "http://127.0.0.1:$port/ready"; wait_http "http://127.0.0.1:$port/connectors"
  local out
  out=$(java -cp "$1" io.sluice.bench.ConnectBench --bootstrap "http://127.0.0.1:$port" --records "$N" --repeat 1 \
    --dir "$dir" 2>&1 | grep -i "records/s" | tail -1)
  echo "$2 round=$3 load=$(cut -d' ' -f1 /proc/loadavg) $out"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
}
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then one "$BEFORE" before "$r"; one "$AFTER" after "$r"
  else one "$AFTER" after "$r"; one "$BEFORE" before "$r"; fi
done

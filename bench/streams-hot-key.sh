#!/usr/bin/env bash
# A hot key in a long sliding window, as a user meets it: one broker on a small heap, a stream defined over HTTP
# counting a key's records in a 1-hour sliding window, and RECORDS records of that one key, VALUE_BYTES each, one
# millisecond apart. Each record's window holds every record before it, so a task that reads the window into a list
# holds RECORDS x VALUE_BYTES at the end. Prints per jar: the task's state and position when it stopped moving (or
# finished), the broker's peak RSS, any OutOfMemoryError in its log, and the CPU seconds the broker used.
#   bench/streams-hot-key.sh jar [jar...]
# Env: HEAP=-Xmx128m RECORDS=150 VALUE_BYTES=900000 RES=/tmp/h-scan/hot-key STALL_S=60
set -uo pipefail # no -e: the broker dying is a result, and its answers are parsed leniently
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
HEAP="${HEAP:--Xmx128m}"; N="${RECORDS:-150}"; VB="${VALUE_BYTES:-900000}"; STALL="${STALL_S:-60}"
RES="${RES:-/tmp/h-scan/hot-key}"
PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
cpu_s() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$1/stat"; }
# one record: key "hot", a VB-byte string, at 10,000,000 + i ms (far from 0, so no window is clamped)
record() { printf '{"records":[{"key":"hot","value":"%s","timestamp":%d}]}' "$(head -c "$VB" /dev/zero | tr '\0' x)" \
  "$((10000000 + $1))"; }
for jar in "$@"; do
  name="$(basename "$(dirname "$(dirname "$(realpath "$jar")")")")"
  dir="$RES/$name"; rm -rf "$dir"; mkdir -p "$dir"
  java $HEAP -jar "$jar" --http-port 0 \
    --data-dir "$dir/data" --set http.host=127.0.0.1 --set zookeeper.embedded.port=0 > "$dir/broker.log" 2>&1 &
  PID=$!
  url="$(sluice_url "$dir/broker.log" "$PID" 120)" || exit 1
  curl -sf -XPOST "$url/topics" -H 'Content-Type: application/json' \
    -d '{"name": "hot-in", "partitions": 1, "replication_factor": 1}' > /dev/null
  curl -sf -XPOST "$url/streams" -H 'Content-Type: application/json' -d '{"name": "hot", "inputs": ["hot-in"],
    "key_format": "string", "value_format": "string", "steps": [{"group_by": "key"}, {"window": {"sliding": "1h"}},
    {"count": {"emit": "final"}}, {"to": "hot-out"}]}' > /dev/null
  start=$SECONDS
  for i in $(seq 0 $((N - 1))); do
    record "$i" > "$dir/rec.json"
    curl -sf -m 60 -XPOST "$url/topics/hot-in/partitions/0" -H 'Content-Type: application/vnd.kafka.json.v2+json' \
      --data-binary @"$dir/rec.json" > /dev/null || { echo "produce $i failed" >&2; break; }
  done
  rm -f "$dir/rec.json"
  last=-1; still=$SECONDS; status=""
  while kill -0 "$PID" 2>/dev/null; do
    status="$(curl -s -m 5 "$url/streams/hot" || true)"
    pos="$(echo "$status" | grep -o '"position":[0-9]*' | head -1 | cut -d: -f2)"
    pos="${pos:--1}"
    (( pos >= N )) && break
    (( pos != last )) && { last=$pos; still=$SECONDS; }
    (( SECONDS - still < STALL )) || break
    sleep 1
  done
  state="$(echo "$status" | grep -o '"state":"[A-Z_]*"' | head -1)"
  pos="$(echo "$status" | grep -o '"position":[0-9]*' | head -1)"
  hwm="$(grep VmHWM "/proc/$PID/status" 2>/dev/null | awk '{print $2 / 1024 " MiB"}' || echo gone)"
  cpu="$(cpu_s "$PID" 2>/dev/null || echo gone)"
  oom="$(grep -c OutOfMemoryError "$dir/broker.log" || true)"
  echo "$name heap=$HEAP records=$N x $VB B: ${pos:-no position} ${state:-no state} after $((SECONDS - start)) s," \
    "peak RSS $hwm, broker CPU ${cpu} s, OutOfMemoryError lines in log: $oom, load $(load)"
  kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""
  rm -rf "$dir/data"
done

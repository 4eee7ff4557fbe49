#!/usr/bin/env bash
# The issue's streams benchmark, Sluice beside Kafka Streams 4.1 on Apache Kafka 4.1 (../shared/anchors/kafka):
# a count per key in 1-minute tumbling windows over 100-byte JSON records (10,000 keys), records per second and
# restore speed from the changelog, alternating Sluice and Kafka Streams for REPS rounds, with the load average.
#   bench/compare-windowed.sh [sluice.jar] [results-dir]
# Env: REPS=3 RECORDS=200000 KEYS=10000 MINUTES=10 PARTITIONS=1 KAFKA_BASE=/tmp/kafka-windowed HEAP=-Xmx1g
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-/tmp/sluice-windowed/$(date +%Y%m%d-%H%M%S)}"
ANCHOR="$(realpath "${ANCHOR:-$HERE/../../shared/anchors/kafka}")"
REPS="${REPS:-3}"; N="${RECORDS:-200000}"; KEYS="${KEYS:-10000}"; MIN="${MINUTES:-10}"; P="${PARTITIONS:-1}"
HEAP="${HEAP:--Xmx1g}"
export KAFKA_BASE="${KAFKA_BASE:-/tmp/kafka-windowed}" KAFKA_HEAP_OPTS="$HEAP -Xms${HEAP#-Xmx}"
mkdir -p "$RES"
load() { cut -d' ' -f1 /proc/loadavg; }
SPID=""
cleanup() {
  [[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null || true
  (cd "$ANCHOR" && ./run-kafka.sh stop >/dev/null 2>&1) || true
}
trap cleanup EXIT
java $HEAP -jar "$JAR" --http-port 0 --data-dir "$RES/sluice-data" --set http.host=127.0.0.1 \
  --set zookeeper.embedded.port=0 > "$RES/sluice.log" 2>&1 &
SPID=$!
for _ in $(seq 1 240); do grep -q 'listening on http' "$RES/sluice.log" && break; sleep 0.5; done
URL=$(grep -o 'listening on http://[0-9.:]*' "$RES/sluice.log" | head -1 | sed 's/listening on //')
(cd "$ANCHOR" && ./run-kafka.sh start) > "$RES/kafka.log" 2>&1
for r in $(seq 1 "$REPS"); do
  echo "round $r sluice load $(load)"
  java -Xmx512m -cp "$JAR" io.sluice.bench.WindowedCountBench --bootstrap "$URL" --records "$N" --keys "$KEYS" \
    --minutes "$MIN" --partitions "$P" 2>&1 | grep -E 'windowed count|restore'
  echo "round $r kafka-streams load $(load)"
  "$HERE/kafka-streams/run-window.sh" 127.0.0.1:19092 "$P" "$N" "$KEYS" "$MIN" at_least_once 2>&1 \
    | grep -E 'windowed count|restore'
done | tee "$RES/results.txt"

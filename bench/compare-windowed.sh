#!/usr/bin/env bash
# The issue's streams benchmark, Sluice beside Kafka Streams 4.1 on Apache Kafka 4.1 (../shared/anchors/kafka),
# alternating Sluice and Kafka Streams for REPS rounds, each line with the 1-minute load average:
#  - windowed count: a count per key in 1-minute tumbling windows over 100-byte JSON records (KEYS keys);
#  - stream-table join: a table of KEYS rows, then RECORDS stream records joined to it (KStream.join(KTable));
# records per second end to end and restore speed from the changelog (records and MB of changelog per second of
# restore: Sluice's task restore status, Kafka Streams' restore listener; startup and rebalance excluded on both).
# GUARANTEE=exactly_once (Sluice's default; Kafka Streams' exactly_once_v2) or at_least_once (both).
# BEFORE_JAR=path: a second Sluice broker from that jar (an earlier build), run before the first in every round, so a
# change is measured before/after in one run, alternating, at the same load.
#   bench/compare-windowed.sh [sluice.jar] [results-dir]
# Env: REPS=3 RECORDS=200000 KEYS=10000 MINUTES=10 PARTITIONS=1 GUARANTEE=exactly_once ROWS="window join"
#      KAFKA_BASE=/tmp/kafka-windowed HEAP=-Xmx1g
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-/tmp/sluice-windowed/$(date +%Y%m%d-%H%M%S)}"
ANCHOR="$(realpath "${ANCHOR:-$HERE/../../shared/anchors/kafka}")"
REPS="${REPS:-3}"; N="${RECORDS:-200000}"; KEYS="${KEYS:-10000}"; MIN="${MINUTES:-10}"; P="${PARTITIONS:-1}"
G="${GUARANTEE:-exactly_once}"; ROWS="${ROWS:-window join}"
KG="$G"; [[ "$G" == exactly_once ]] && KG=exactly_once_v2
HEAP="${HEAP:--Xmx1g}"
export KAFKA_BASE="${KAFKA_BASE:-/tmp/kafka-windowed}" KAFKA_HEAP_OPTS="$HEAP -Xms${HEAP#-Xmx}"
mkdir -p "$RES"
load() { cut -d' ' -f1 /proc/loadavg; }
SPID=""; BPID=""; KAFKA_STARTED=""
cleanup() {
  [[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null || true
  [[ -n "$BPID" ]] && kill "$BPID" 2>/dev/null || true
  # only a Kafka this run started: the anchor is shared, and another session's run may hold it
  [[ -n "$KAFKA_STARTED" ]] && (cd "$ANCHOR" && ./run-kafka.sh stop >/dev/null 2>&1) || true
}
trap cleanup EXIT
# broker <jar> <name>: starts a Sluice broker and waits until it listens
broker() {
  java $HEAP -jar "$1" --http-port 0 --data-dir "$RES/$2-data" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port=0 > "$RES/$2.log" 2>&1 &
  echo $! > "$RES/$2.pid"
  sluice_url "$RES/$2.log" "$(cat "$RES/$2.pid")" 120 > "$RES/$2.url"
}
url() { cat "$RES/$1.url"; }
broker "$JAR" sluice; SPID=$(cat "$RES/sluice.pid")
SLUICES="sluice"
if [[ -n "${BEFORE_JAR:-}" ]]; then
  broker "$(realpath "$BEFORE_JAR")" sluice-before; BPID=$(cat "$RES/sluice-before.pid")
  SLUICES="sluice-before sluice"
fi
# The anchor runs once per machine: wait while another run holds it (its port open), then start it.
until ! ss -ltn 2>/dev/null | grep -q ':19092 ' && (cd "$ANCHOR" && ./run-kafka.sh start) > "$RES/kafka.log" 2>&1; do
  echo "the Kafka anchor is taken ($(tail -1 "$RES/kafka.log" 2>/dev/null)); waiting" >&2
  sleep 20
done
KAFKA_STARTED=1
# sluice <broker> <bench class> [args]: the bench (from the main jar) against that broker
sluice() { java -Xmx512m -cp "$JAR" "io.sluice.bench.$2" --bootstrap "$(url "$1")" --records "$N" --keys "$KEYS" \
  --partitions "$P" --guarantee "$G" "${@:3}"; }
for r in $(seq 1 "$REPS"); do
  for row in $ROWS; do
    for s in $SLUICES; do
      echo "round $r $s $row load $(load)"
      case $row in
        window) sluice "$s" WindowedCountBench --minutes "$MIN" ;;
        join) sluice "$s" StreamTableJoinBench ;;
      esac 2>&1 | grep -E 'windowed count|join|restore' | sed "s/\$/  [load $(load)]/"
    done
    echo "round $r kafka-streams $row load $(load)"
    case $row in
      window) "$HERE/kafka-streams/run-window.sh" 127.0.0.1:19092 "$P" "$N" "$KEYS" "$MIN" "$KG" ;;
      join) "$HERE/kafka-streams/run-join.sh" 127.0.0.1:19092 "$P" "$N" "$KEYS" "$KG" ;;
    esac 2>&1 | grep -E 'windowed count|join|restore' | sed "s/\$/  [load $(load)]/"
  done
done | tee "$RES/results.txt"

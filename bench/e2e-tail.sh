#!/usr/bin/env bash
# Where the slow records of the e2e rows go, per record (issue 16; docs/benchmarks.md, eighteenth session, h-tail2).
# Starts one fresh broker as bench/compare-kafka.sh does, then one `sluice perf e2e` client per entry of WARMS (the
# default, "1000 20000", is the e2e row then the e2e-steady row, in the benchmark's order), each with
#   - JFR on the broker and on the client (GC pauses, safepoints, compilations, deoptimizations; no sampling),
#   - `perf sched record` of the whole machine while it runs (who had the CPUs; skipped when perf cannot trace),
#   - --samples: each measured record's send time and latency,
# and prints bench/e2e-tail.py's attribution of the 10 and 100 slowest records of each run (p99.9 and p99).
#   bench/e2e-tail.sh [sluice.jar] [out-dir]      Env: WARMS="1000 20000" E2E_RECORDS=10000 HEAP=-Xmx1g
#   SLUICE_SET="key=value ..." (broker settings, as in compare-kafka.sh)
#   SYSTEM=kafka: the same against the Kafka anchor (../shared/anchors/kafka, started as compare-kafka.sh starts it,
#   with its launcher's G1 flags and JFR) and bench/E2eLatencySamples.java (the anchor's E2eLatencyUs.java loop that
#   the default e2e row runs, writing the same samples), so that Kafka's slow records are attributed the same way.
#   ANCHOR, KAFKA_LIB and KAFKA_BASE as in compare-kafka.sh.
# Run it under `flock /tmp/sluice-bench.lock` on a shared machine. Needs root (or perf_event_paranoid <= -1) for perf.
# The scheduler traces (schedN.data) are 100-200 MB a run: delete the output directory when done.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
source "$HERE/e2e-jfr.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
OUT="${2:-/tmp/sluice-e2e-tail/$(date +%Y%m%d-%H%M%S)}"
HEAP="${HEAP:--Xmx1g}"
mkdir -p "$OUT"
e2e_jfc "$OUT/tail.jfc"
SETS=(); for kv in ${SLUICE_SET:-}; do SETS+=(--set "$kv"); done
SPID=""; SYSTEM="${SYSTEM:-sluice}"
ANCHOR="$(realpath -m "${ANCHOR:-$HERE/../../shared/anchors/kafka}")"; LIB="${KAFKA_LIB:-/tmp/kafka-anchor-lib}"
export KAFKA_BASE="${KAFKA_BASE:-/tmp/kafka-compare}"
stop_broker() {
  if [[ "$SYSTEM" == kafka ]]; then (cd "$ANCHOR" && ./run-kafka.sh stop >/dev/null 2>&1) || true
  elif [[ -n "$SPID" ]]; then kill "$SPID" 2>/dev/null; wait "$SPID" || true; fi
  SPID=""
}
trap 'stop_broker; rm -rf "$OUT/data"' EXIT
if [[ "$SYSTEM" == kafka ]]; then
  # the anchor's own performance options (kafka-server-start.sh's), with the recording added
  (cd "$ANCHOR" && KAFKA_HEAP_OPTS="$HEAP -Xms${HEAP#-Xmx}" KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC \
    -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true $(jfr_opt "$OUT/broker.jfr")" ./run-kafka.sh start) > "$OUT/broker.log" 2>&1
  SPID="$(cat "$KAFKA_BASE/kafka.pid")"
  client() { exec java -Xmx512m "-Dlog4j2.configurationFile=$ANCHOR/tools-log4j2.properties" "$(jfr_opt "$1")" -cp "$LIB/*" \
    "$HERE/E2eLatencySamples.java" 127.0.0.1:19092 "$2" "${E2E_RECORDS:-10000}" 1 100 "$3" "$4"; }
else
  java $HEAP "-Xms${HEAP#-Xmx}" "$(jfr_opt "$OUT/broker.jfr")" -jar "$JAR" --data-dir "$OUT/data" --http-port 0 \
    --set http.host=127.0.0.1 --set zookeeper.embedded.port=0 "${SETS[@]}" > "$OUT/broker.log" 2>&1 &
  SPID=$!
  URL="$(sluice_url "$OUT/broker.log" "$SPID" 60)"
  client() { exec java -Xmx512m "$(jfr_opt "$1")" -jar "$JAR" perf e2e --bootstrap "$URL" --topic "$2" \
    --records "${E2E_RECORDS:-10000}" --warmup "$3" --samples "$4"; }
fi
echo "$SPID" > "$OUT/broker.pid"
PERF=1; perf sched record -o "$OUT/probe.data" -- true >/dev/null 2>&1 || PERF=""; rm -f "$OUT/probe.data"
i=0
for w in ${WARMS:-1000 20000}; do
  i=$((i + 1))
  echo "run $i: warm-up $w, load $(cut -d' ' -f1 /proc/loadavg), $(date +%T)"
  client "$OUT/client$i.jfr" "tail-$i" "$w" "$OUT/samples$i.txt" > "$OUT/client$i.out" 2>&1 &
  CP=$! # client() execs java in the background subshell, so this is the JVM's pid
  echo "$CP" > "$OUT/client$i.pid"
  if [[ -n "$PERF" ]]; then
    # CLOCK_MONOTONIC: the clock of System.nanoTime, so the samples line up with the scheduler's events
    perf sched record -k CLOCK_MONOTONIC -o "$OUT/sched$i.data" -- sh -c "while kill -0 $CP 2>/dev/null; do sleep 0.2; done" \
      >/dev/null 2>&1
  fi
  wait "$CP"
  python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC))' \
    > "$OUT/clock-offset$i"
  grep 'records, avg' "$OUT/client$i.out"
done
stop_broker
for n in $(seq 1 "$i"); do echo "== run $n"; python3 "$HERE/e2e-tail.py" "$OUT" "$n"; done | tee "$OUT/attribution.txt"
echo "results in $OUT"

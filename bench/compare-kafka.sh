#!/usr/bin/env bash
# Sluice against Apache Kafka, side by side in one run (issue 16). Starts Kafka from ../shared/anchors/kafka and a
# Sluice broker from a jar, runs each row alternating between the two (the order flips every rep), and prints a
# markdown table of medians with the ratio Sluice / Kafka, each rep's ratio, and the 1-minute load average at each
# measurement. Every run starts after a sync, so that no run pays for the previous one's writeback.
#   bench/compare-kafka.sh [sluice.jar] [results-dir]
# Env: REPS=3 NUM_RECORDS=2000000 RECORD_SIZE=100 E2E_RECORDS=10000 E2E_WARMUP=1000 ROWS="p1 p6 p1all c1 c6 g6 e2e e2e-steady" KEEP_DATA=1 (keep the broker's data dir)
#      E2E_STEADY_WARMUP=20000: the e2e-steady row, beside e2e (never instead of it): the same measurement after this
#      many unmeasured records on both sides, so that both clients' and brokers' paths are compiled (a fresh JVM's
#      first 10,000 one-at-a-time records are mostly its JIT at work: docs/benchmarks.md, fourteenth session, h-e2e5)
#      E2E_RUNS=3: the e2e rows run this many times per rep on each side (each a fresh pair of JVMs, alternating), so
#      their medians come from REPS x E2E_RUNS samples: one run's p99 is its 100 slowest of 10,000 records, mostly the
#      fresh JVMs' compilers, and swung 0.42-1.38 per rep (docs/benchmarks.md, twenty-third session)
#      ANCHOR=../shared/anchors/kafka  KAFKA_BASE=/tmp/kafka-compare (under /tmp)  HEAP=-Xmx1g
#      SLUICE_SET="key=value ..." (broker settings, each passed as --set key=value; e.g. num.event.loop.threads=2)
# Both brokers get HEAP, with -Xms of the same size (Kafka's start script does so); both tools run with -Xmx512m. Only ratios from one run mean anything on a shared machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-/tmp/sluice-compare/$(date +%Y%m%d-%H%M%S)}"
ANCHOR="$(realpath "${ANCHOR:-$HERE/../../shared/anchors/kafka}")"
REPS="${REPS:-3}"; N="${NUM_RECORDS:-2000000}"; SIZE="${RECORD_SIZE:-100}"; E2E_N="${E2E_RECORDS:-10000}"; E2E_WARM="${E2E_WARMUP:-1000}"
E2E_STEADY_WARM="${E2E_STEADY_WARMUP:-20000}"; E2E_RUNS="${E2E_RUNS:-3}"
ROWS="${ROWS:-p1 p6 p1all c1 c6 g6 e2e e2e-steady}"
HEAP="${HEAP:--Xmx1g}"
# The read rows read what a produce row of the same rep wrote: c1 p1's topic, c6 and g6 p6's.
has() { [[ " $ROWS " == *" $1 "* ]]; }
if { has c1 && ! has p1; } || { { has c6 || has g6; } && ! has p6; }; then
  echo "ROWS=\"$ROWS\": c1 needs p1, c6 and g6 need p6 (they read the topics those rows write)" >&2; exit 2
fi
export KAFKA_BASE="${KAFKA_BASE:-/tmp/kafka-compare}" KAFKA_HEAP_OPTS="$HEAP -Xms${HEAP#-Xmx}"
LIB="${KAFKA_LIB:-/tmp/kafka-anchor-lib}"
BOOT=127.0.0.1:19092
mkdir -p "$RES/out" # each read tool's whole output (out/SYSTEM-ROW-rREP.txt): the join and first-record times
tool() { java -Xmx512m "-Dlog4j2.configurationFile=$ANCHOR/tools-log4j2.properties" -cp "$LIB/*" "$@"; }
sluice() { java -Xmx512m -jar "$JAR" perf "$@"; }
load() { cut -d' ' -f1 /proc/loadavg; }
log() { echo "[$(date +%T)] $*" | tee -a "$RES/run.log" >&2; }

SPID=""; KAFKA_STARTED=""
cleanup() {
  [[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
  # the broker's logs are gigabytes a run: left behind they filled the disk once (KEEP_DATA=1 keeps them)
  [[ -n "${KEEP_DATA:-}" ]] || rm -rf "$RES/sluice-data"
  # only a Kafka this run started: the anchor is shared, and another session's run may hold it
  [[ -n "$KAFKA_STARTED" ]] && (cd "$ANCHOR" && ./run-kafka.sh stop >/dev/null 2>&1) || true
}
trap cleanup EXIT

# The anchor runs once per machine: wait while another run holds it (its port open), then start it.
until ! ss -ltn 2>/dev/null | grep -q ':19092 ' && (cd "$ANCHOR" && ./run-kafka.sh start) >> "$RES/run.log" 2>&1; do
  log "the Kafka anchor is taken; waiting"
  sleep 20
done
KAFKA_STARTED=1
rm -rf "$RES/sluice-data"
SETS=(); for kv in ${SLUICE_SET:-}; do SETS+=(--set "$kv"); done
java $HEAP "-Xms${HEAP#-Xmx}" -jar "$JAR" --data-dir "$RES/sluice-data" --http-port 0 --set http.host=127.0.0.1 \
  --set zookeeper.embedded.port=0 "${SETS[@]}" > "$RES/sluice.log" 2>&1 &
SPID=$!
URL="$(sluice_url "$RES/sluice.log" "$SPID" 60)" || { log "Sluice did not start; see $RES/sluice.log"; exit 1; }
log "Kafka at $BOOT, Sluice at $URL (pid $SPID)${SLUICE_SET:+ with $SLUICE_SET}"

# run SYSTEM ROW REP -> prints "value load" (records/s, or "p99 p999" ms for e2e)
kafka_row() {
  local row="$1" r="$2" t out
  case "$row" in
    p1|p6|p1all)
      local parts=1 acks=1; [[ "$row" == p6 ]] && parts=6; [[ "$row" == p1all ]] && acks=all
      t="k-$row-r$r"
      tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic "$t" --partitions "$parts" \
        --replication-factor 1 >/dev/null
      out="$(tool org.apache.kafka.tools.ProducerPerformance --topic "$t" --num-records "$N" --record-size "$SIZE" \
        --throughput -1 --producer-props bootstrap.servers="$BOOT" acks="$acks" batch.size=65536 linger.ms=5 2>&1 \
        | grep -E 'records sent.*50th' | tail -1)"
      echo "$out" | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' ;;
    c1|c6|g6)
      local src="k-p1-r$r"; [[ "$row" != c1 ]] && src="k-p6-r$r"
      # Kafka's tool always joins a group: c1/c6 (Sluice's partition readers, no group) take its fetch-only rate,
      # g6 (a group member on both sides) its whole rate, join included, as Sluice's figure includes its join (its
      # clock starts before the member is created; the join's share: out/*-g6-*.txt, rebalance.time.ms against
      # "first record after").
      local field=10; [[ "$row" == g6 ]] && field=6
      tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOT" --topic "$src" --messages "$N" \
        --group "k-$row-r$r" --timeout 60000 2>&1 | tee "$RES/out/kafka-$row-r$r.txt" | grep -A1 '^start.time' | tail -1 \
        | awk -F', *' -v f="$field" '{print $f}' ;;
    e2e|e2e-steady)
      local warm="$E2E_WARM"; [[ "$row" == e2e-steady ]] && warm="$E2E_STEADY_WARM"
      tool "$ANCHOR/E2eLatencyUs.java" "$BOOT" "k-$row-r$r" "$E2E_N" 1 "$SIZE" "$warm" 2>&1 \
        | sed -nE 's/^Percentiles us: 50th = ([0-9.]+), 99th = ([0-9.]+), 99.9th = ([0-9.]+).*/\1 \2 \3/p' \
        | awk '{printf "%.3f/%.3f/%.3f\n", $1/1000, $2/1000, $3/1000}' ;;
  esac
}
sluice_row() {
  local row="$1" r="$2" t
  case "$row" in
    p1|p6|p1all)
      local parts=1 acks=1; [[ "$row" == p6 ]] && parts=6; [[ "$row" == p1all ]] && acks=all
      t="s-$row-r$r"
      sluice produce --bootstrap "$URL" --topic "$t" --records "$N" --record-size "$SIZE" --acks "$acks" \
        --throughput -1 --partitions "$parts" 2>&1 | grep -E 'records sent.*50th' | tail -1 \
        | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' ;;
    c1|c6)
      local src="s-p1-r$r"; [[ "$row" == c6 ]] && src="s-p6-r$r"
      sluice consume --bootstrap "$URL" --topic "$src" --records "$N" 2>&1 | tee "$RES/out/sluice-$row-r$r.txt" \
        | grep 'records consumed' \
        | sed -E 's/^[0-9]+ records consumed, ([0-9.]+) records\/sec.*/\1/' ;;
    g6)
      sluice consume --bootstrap "$URL" --topic "s-p6-r$r" --records "$N" --group "s-g6-r$r" 2>&1 \
        | tee "$RES/out/sluice-$row-r$r.txt" | grep 'records consumed' | sed -E 's/^[0-9]+ records consumed, ([0-9.]+) records\/sec.*/\1/' ;;
    e2e|e2e-steady)
      local warm="$E2E_WARM"; [[ "$row" == e2e-steady ]] && warm="$E2E_STEADY_WARM"
      sluice e2e --bootstrap "$URL" --topic "s-$row-r$r" --records "$E2E_N" --warmup "$warm" 2>&1 \
        | sed -nE 's/.*50th ([0-9.]+) ms, 99th ([0-9.]+) ms, 99.9th ([0-9.]+) ms.*/\1\/\2\/\3/p' ;;
  esac
}

# Both systems make their group machinery (__consumer_offsets and its coordinator) before the first measured read. Kafka's
# tool joins a group in every read row, so its creation fell into c1's or c6's first join, which their fetch-only rate
# leaves out; Sluice's readers use no group, so its first g6 paid the creation (about 0.3 s before the first record of
# a 2 s read: docs/benchmarks.md, eleventh session, h-group2). One record read by a group on each side, unmeasured.
if has g6; then
  tool org.apache.kafka.tools.ProducerPerformance --topic k-warm --num-records 1 --record-size "$SIZE" --throughput -1 \
    --producer-props bootstrap.servers="$BOOT" >> "$RES/run.log" 2>&1
  tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOT" --topic k-warm --messages 1 --group k-warm \
    --timeout 60000 >> "$RES/run.log" 2>&1
  sluice produce --bootstrap "$URL" --topic s-warm --records 1 --record-size "$SIZE" >> "$RES/run.log" 2>&1
  sluice consume --bootstrap "$URL" --topic s-warm --records 1 --group s-warm >> "$RES/run.log" 2>&1
  log "both offsets topics made (a group read of one record on each side)"
fi

echo "row,rep,system,value,load" > "$RES/results.csv"
for r in $(seq 1 "$REPS"); do
  for row in $ROWS; do
    runs=1; [[ "$row" == e2e* ]] && runs="$E2E_RUNS"
    for i in $(seq 1 "$runs"); do
      order="kafka sluice"; (( (r + i) % 2 == 0 )) || order="sluice kafka"
      id="$r"; (( runs > 1 )) && id="${r}x$i"
      for sys in $order; do
        # A produce row leaves ~200 MB of dirty pages; written back during the next run, they cost that run 25-45 %
        # (docs/benchmarks.md, twenty-first session): whichever system ran second in a rep lost. Each run starts clean.
        sync
        l="$(load)"
        v="$(${sys}_row "$row" "$id" || true)"
        echo "$row,$id,$sys,${v:-n/a},$l" >> "$RES/results.csv"
        log "$row rep $id $sys: ${v:-n/a} (load $l)"
      done
    done
  done
done

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "n/a"; exit} print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v k="$1" -v s="$2" 'BEGIN{if(k>0) printf "%.2f", s/k; else print "n/a"}'; }
# each rep's Sluice / Kafka, in rep order: the spread the medians hide
per_rep() { paste -d' ' <(col "$1" kafka "$2") <(col "$1" sluice "$2") | while read -r k s; do ratio "$k" "$s"; echo -n ' '; done; }
col() { awk -F, -v row="$1" -v sys="$2" -v f="$3" '$1==row && $3==sys {split($4,p,"/"); print (f==0)?$4:p[f]}' "$RES/results.csv"; }
{
  echo "Sluice $(basename "$JAR") vs Kafka $(basename "$(ls "$LIB"/kafka_2.13-*.jar)" .jar); $N records x $SIZE B; median of $REPS (e2e rows: $REPS x $E2E_RUNS), alternating; $(nproc) cores${SLUICE_SET:+; Sluice with $SLUICE_SET}"
  echo
  echo "| row | Kafka | Sluice | ratio | per rep | load average at the runs |"
  echo "|---|---|---|---|---|---|"
  for row in $ROWS; do
    loads="$(awk -F, -v row="$row" '$1==row {printf "%s ", $5}' "$RES/results.csv")"
    if [[ "$row" == e2e* ]]; then
      label="$row"; [[ "$row" == e2e-steady ]] && label="e2e-steady ($E2E_STEADY_WARM warm-up)"
      for f in 1 2 3; do
        k="$(col "$row" kafka $f | median)"; s="$(col "$row" sluice $f | median)"
        name=(x p50 p99 p99.9)
        echo "| $label ${name[$f]} ms | $k | $s | $(ratio "$k" "$s") (lower is better) | $(per_rep "$row" $f) | $loads |"
      done
    else
      k="$(col "$row" kafka 0 | median)"; s="$(col "$row" sluice 0 | median)"
      echo "| $row | $k | $s | $(ratio "$k" "$s") | $(per_rep "$row" 0) | $loads |"
    fi
  done
} | tee "$RES/summary.md"
log "results in $RES"

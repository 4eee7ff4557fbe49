#!/usr/bin/env bash
# Counted startup figures that the load does not skew as much as the wall clock (issue 16): starts a broker through
# bin/sluice (the jar's CDS archive) N times, fresh data directory and embedded ZooKeeper each, and prints at the first
# 200 from GET /ready: wall ms, the JVM's CPU ms (utime+stime, /proc/PID/stat), classes loaded (not archived /
# archived, jcmd PerfCounter.print), threads, the JIT compiler threads' CPU (C1, C2: /proc/PID/task/*/stat), the load,
# and the broker's "started in" step line.
#   bench/startup-cpu.sh [sluice.jar] [starts] [broker arguments...]      Env: JAVA_OPTS, KEEP_LOGS=DIR, PHASES=1
# PHASES=1 also prints the broker's counted start phases (the io.sluice.broker.StartSteps logger at FINE: each step's
# wall, CPU and classes from the JVM's launch, and what ran beside the steps; README "Starting faster").
# Run each under flock /tmp/sluice-bench.lock, alternating jars, as the other bench scripts.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
N="${2:-3}"
BROKER_ARGS=("${@:3}")
export SLUICE_JAR="$JAR"
# With a valid archive bin/sluice execs the JVM, so the PID below is the JVM's (without one it would be the launcher's).
[[ -s "${JAR%.jar}.jsa" && -f "${JAR%.jar}.jsa.key" ]] || "$HERE/../bin/sluice-cds-archive" 300 "${BROKER_ARGS[@]}" >/dev/null
DIR="$(mktemp -d /tmp/sluice-startup-cpu.XXXXXX)"
if [[ "${PHASES:-0}" == 1 ]]; then
  { unzip -p "$JAR" sluice-logging.properties; echo "io.sluice.broker.StartSteps.level = FINE"; } > "$DIR/logging.properties"
  export JAVA_OPTS="${JAVA_OPTS:-} -Djava.util.logging.config.file=$DIR/logging.properties"
fi
PID=""
trap 'if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$DIR"' EXIT
tick_ms=$(( 1000 / $(getconf CLK_TCK) ))
# CPU ms of the JVM's C1 and C2 compiler threads (named "C1 CompilerThre", "C2 CompilerThre" in /proc).
jit_cpu() {
  local c1=0 c2=0 t name ticks
  for t in /proc/"$1"/task/*; do
    name="$(cat "$t/comm" 2>/dev/null)" || continue
    # After the last ")": a thread's name may hold spaces, which would shift awk's fields.
    ticks="$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')" || continue
    case "$name" in C1\ Compiler*) c1=$(( c1 + ticks )) ;; C2\ Compiler*) c2=$(( c2 + ticks )) ;; esac
  done
  echo "jit C1 $(( c1 * tick_ms )) ms C2 $(( c2 * tick_ms )) ms"
}
for i in $(seq 1 "$N"); do
  rm -rf "$DIR/data"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  t0="$(date +%s%N)"
  "$HERE/../bin/sluice" --data-dir "$DIR/data" --http-port 0 --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port=0 "${BROKER_ARGS[@]}" > "$DIR/log" 2>&1 &
  PID=$!
  sluice_url "$DIR/log" "$PID" 300 > /dev/null
  t1="$(date +%s%N)"
  read -r ut st < <(awk '{print $14, $15}' "/proc/$PID/stat")
  classes="$(jcmd "$PID" PerfCounter.print 2>/dev/null | grep -E 'java\.cls\.(loadedClasses|sharedLoadedClasses)=' \
    | sed 's/.*\.//' | tr '\n' ' ')"
  threads="$(ls "/proc/$PID/task" | wc -l)"
  jit="$(jit_cpu "$PID")"
  echo "start $i: wall $(( (t1 - t0) / 1000000 )) ms, cpu $(( (ut + st) * tick_ms )) ms, ${classes}threads $threads, $jit," \
    "load $load | $(grep -o 'started in.*' "$DIR/log" | head -1)"
  # The phases are logged just after the "started in" line, which may come a moment after ready answers.
  [[ "${PHASES:-0}" != 1 ]] || { until grep -q 'start phases' "$DIR/log"; do sleep 0.05; done
    grep -o 'start phases.*' "$DIR/log" | head -1; }
  [[ -z "${KEEP_LOGS:-}" ]] || cp "$DIR/log" "$KEEP_LOGS/$(basename "$JAR" .jar)-$i-$PID.log"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  PID=""
done

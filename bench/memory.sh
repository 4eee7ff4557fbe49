#!/usr/bin/env bash
# Memory of one broker, broken down (issue 16): starts it through bin/sluice with Native Memory Tracking and a GC log,
# and snapshots it 5 s after ready, right after `sluice perf produce` of RECORDS records of 100 bytes (6 partitions,
# acks=1) and `perf consume` of them, then LATER seconds after (several values: the heap is given back 60 s after the
# last collection, heap.release.interval.ms). Each snapshot: OUT/<name>.txt (status, smaps_rollup, GC.heap_info,
# VM.native_memory summary) and a line of RSS by kind (the heap's reserved range, the CDS archive, other files, other
# anonymous memory, from /proc/PID/smaps). Only the perf runs take flock /tmp/sluice-bench.lock.
#   bench/memory.sh [sluice.jar] [out-dir]      Env: RECORDS=2000000  LATER="70 150"  HEAP=-Xmx1g  MEMOPTS=
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
OUT="$(realpath -m "${2:-/tmp/sluice-memory}")"
mkdir -p "$OUT"
DIR="$(mktemp -d /tmp/sluice-memory.XXXXXX)"
PID=""
trap 'if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$DIR"' EXIT
[[ -s "${JAR%.jar}.jsa" && -f "${JAR%.jar}.jsa.key" ]] || SLUICE_JAR="$JAR" "$HERE/../bin/sluice-cds-archive" >/dev/null
# shellcheck disable=SC2086
SLUICE_JAR="$JAR" JAVA_OPTS="${HEAP:--Xmx1g} -XX:NativeMemoryTracking=summary -Xlog:gc*:file=$OUT/gc.log ${MEMOPTS:-}" \
  "$HERE/../bin/sluice" --data-dir "$DIR/data" --http-port 0 --set http.host=127.0.0.1 \
  --set zookeeper.embedded.port=0 > "$OUT/broker.log" 2>&1 &
PID=$!
url="$(sluice_url "$OUT/broker.log" "$PID" 300)"

by_kind() {  # $1 = smaps file, $2 $3 = the heap's reserved range (hex, no 0x)
  awk -v lo="$2" -v hi="$3" '
    function hex(s,   i, n) { n = 0; s = tolower(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
    BEGIN { l = hex(lo); h = hex(hi) }
    /^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); a = hex(r[1]); name = $6
      kind = (a >= l && a < h) ? "heap" : name ~ /\.jsa$/ ? "cds" : name ~ /^\// ? "files" : "anon"; next }
    /^Rss:/ { rss[kind] += $2 }
    END { printf "heap %d, cds %d, files %d, anon %d MiB", rss["heap"] / 1024, rss["cds"] / 1024, rss["files"] / 1024, rss["anon"] / 1024 }' "$1"
}
snap() {
  local f="$OUT/$1.txt"
  { echo "load $(cut -d' ' -f1-3 /proc/loadavg) at $(date +%T)"
    grep -E 'VmRSS|RssAnon|RssFile|Threads' "/proc/$PID/status"; cat "/proc/$PID/smaps_rollup"
    jcmd "$PID" GC.heap_info; jcmd "$PID" VM.native_memory summary; } > "$f" 2>&1
  cp "/proc/$PID/smaps" "$OUT/$1.smaps"
  local range; range="$(grep -o '\[0x[0-9a-f]*, 0x[0-9a-f]*' "$f" | head -1 | sed 's/\[0x//; s/, 0x/ /')"
  # shellcheck disable=SC2086
  echo "$1: RSS $(( $(awk '/VmRSS/ {print $2}' "$f") / 1024 )) MiB ($(by_kind "$OUT/$1.smaps" $range));" \
    "NMT committed $(grep -o 'Total: reserved=[0-9]*KB, committed=[0-9]*KB' "$f" | sed 's/.*committed=//')," \
    "$(head -1 "$f")"
}
sleep 5
snap idle
flock /tmp/sluice-bench.lock bash -c "java -Xmx1g -jar '$JAR' perf produce --bootstrap $url --topic memory \
  --records ${RECORDS:-2000000} --record-size 100 --partitions 6 --acks 1 --throughput -1 2>&1 | tail -1; \
  java -Xmx1g -jar '$JAR' perf consume --bootstrap $url --topic memory --records ${RECORDS:-2000000} 2>&1 | tail -1"
snap loaded
waited=0
for s in ${LATER:-70 150}; do
  sleep $(( s - waited )); waited=$s
  snap "later-$s"
done

#!/usr/bin/env bash
# What a fresh e2e row costs, counted (issue 16; docs/benchmarks.md, twenty-first session, h-e2e7): one fresh broker as
# bench/compare-kafka.sh starts it and one fresh `sluice perf e2e` client (WARM unmeasured, E2E_RECORDS measured), JFR
# on both (every compilation; no sampling), process CPU of both from /proc; then bench/e2e-count.py's compilations and
# allocation by window. The figures are counts, which a loaded machine leaves alone.
#   bench/e2e-count.sh [sluice.jar] [out-dir]   Env: WARM=1000 E2E_RECORDS=10000 HEAP=-Xmx1g
# Run it under `flock /tmp/sluice-bench.lock` on a shared machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
source "$HERE/e2e-jfr.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
OUT="${2:-/tmp/sluice-e2e-count/$(date +%Y%m%d-%H%M%S)}"
HEAP="${HEAP:--Xmx1g}"
mkdir -p "$OUT"
e2e_jfc "$OUT/count.jfc"
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; } # utime + stime, clock ticks of 1/100 s
SPID=""
trap '[[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null; rm -rf "$OUT/data"' EXIT
java $HEAP "-Xms${HEAP#-Xmx}" "$(jfr_opt "$OUT/broker.jfr")" -jar "$JAR" --data-dir "$OUT/data" --http-port 0 \
  --set http.host=127.0.0.1 --set zookeeper.embedded.port=0 > "$OUT/broker.log" 2>&1 &
SPID=$!
URL="$(sluice_url "$OUT/broker.log" "$SPID" 60)"
B0="$(cpu_s "$SPID")"; L0="$(cut -d' ' -f1 /proc/loadavg)"
java -Xmx512m "$(jfr_opt "$OUT/client.jfr")" -jar "$JAR" perf e2e --bootstrap "$URL" --topic count \
  --records "${E2E_RECORDS:-10000}" --warmup "${WARM:-1000}" --samples "$OUT/samples.txt" > "$OUT/client.out" 2>&1 &
CP=$!
C=0; while kill -0 "$CP" 2>/dev/null; do C="$(cpu_s "$CP" 2>/dev/null || echo "$C")"; sleep 0.1; done
wait "$CP"
B1="$(cpu_s "$SPID")"; L1="$(cut -d' ' -f1 /proc/loadavg)"
kill "$SPID"; wait "$SPID" || true; SPID=""
{
  echo "$(basename "$JAR"): $(grep 'records, avg' "$OUT/client.out"); load $L0-$L1"
  echo "process CPU while the client ran: broker $(echo "$B1 - $B0" | bc) s, client $C s (to its last 0.1 s)"
  python3 "$HERE/e2e-count.py" "$OUT"
} | tee "$OUT/count.txt"

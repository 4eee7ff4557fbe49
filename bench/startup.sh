#!/usr/bin/env bash
# Startup to ready (issue 16): starts a broker from a jar N times (embedded ZooKeeper, a fresh data directory each
# time unless REUSE=1), measures the wall time from the JVM's launch to the first 200 from GET /ready, stops it with
# SIGTERM, and prints each start and the median, with the 1-minute load average.
#   bench/startup.sh [sluice.jar] [starts]      Env: HEAP=-Xmx1g  REUSE=0  EXTRA="--set k=v ..."  LAUNCHER=0
# LAUNCHER=1 starts through bin/sluice (the jar's class data sharing archive, made first if missing: see README)
# instead of plain java -jar; HEAP then goes in JAVA_OPTS. A TLS listener (EXTRA="--set http.ssl.enable=true --set
# ssl.keystore.location=... --set ssl.keystore.password=...") is timed over https:// (its certificate not checked).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
N="${2:-5}"; HEAP="${HEAP:--Xmx1g}"
DIR="$(mktemp -d /tmp/sluice-startup.XXXXXX)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
PID=""
times=()
launch=(java $HEAP -jar "$JAR")
if [[ "${LAUNCHER:-0}" == 1 ]]; then
  export SLUICE_JAR="$JAR" JAVA_OPTS="$HEAP"
  archive="${JAR%.jar}.jsa"
  # shellcheck disable=SC2086
  [[ -s "$archive" && -f "$archive.key" ]] || "$HERE/../bin/sluice-cds-archive" 300 ${EXTRA:-} >/dev/null
  launch=("$HERE/../bin/sluice")
fi
for i in $(seq 1 "$N"); do
  data="$DIR/data"; [[ "${REUSE:-0}" == 1 ]] || rm -rf "$data"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  t0="$(date +%s%N)"
  # shellcheck disable=SC2086
  "${launch[@]}" --data-dir "$data" --http-port 0 --set http.host=127.0.0.1 --set zookeeper.embedded.port=0 \
    ${EXTRA:-} > "$DIR/log" 2>&1 &
  PID=$!
  # The address is read again each time: a read that caught the line half written (its port cut short) once had a
  # run poll a wrong port for good.
  until url="$(grep -o 'listening on https\?://[0-9.:]*' "$DIR/log" | head -1 | sed 's/listening on //' || true)" \
      && [[ -n "$url" ]] && curl -skf -m 2 -o /dev/null "$url/ready"; do
    kill -0 "$PID" 2>/dev/null || { cat "$DIR/log"; exit 1; }
    sleep 0.01
  done
  t1="$(date +%s%N)"
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  echo "start $i: ${ms} ms to ready (load $load)"
  kill "$PID"; wait "$PID" 2>/dev/null || true
done
median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')"
echo "median of $N starts: ${median} ms to ready"

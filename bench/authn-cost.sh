#!/usr/bin/env bash
# Authentication's cost (h-authn): for each round, a fresh broker with authentication.method=NONE and one with BASIC
# (user "bench" made while off, then the broker restarted with BASIC), each running `perf produce` then
# `perf consume` from the same jar; prints the broker's CPU (user + system, /proc/PID/stat) per 1,000 records of
# each, with the 1-minute load average beside it. CPU per record does not move with the machine's load the way
# records/s does.
#   bench/authn-cost.sh ROUNDS RECORDS JAR
# Run under the bench lock: flock /tmp/sluice-bench.lock bench/authn-cost.sh 3 500000 target/sluice.jar
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
ROUNDS=$1; N=$2; JAR=$3
OUT="${OUT:-/tmp/authn-cost}"; mkdir -p "$OUT"
ticks() { read -ra f < "/proc/$1/stat"; echo $(( f[13] + f[14] )); }
HZ=$(getconf CLK_TCK)
start_broker() { # DIR LOG EXTRA_ARGS...; sets pid and url (a log per start: sluice_url reads its first address)
  local d=$1 log=$2; shift 2
  java -Xmx1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port=0 --set connect.enabled=false --set streams.enabled=false "$@" > "$d/$log" 2>&1 &
  pid=$!
  url=$(sluice_url "$d/$log" "$pid" 240) || exit 1
}
for r in $(seq 1 "$ROUNDS"); do
  for mode in ${MODES:-off on}; do
    d=$(mktemp -d /tmp/authn-cost.XXXX)
    creds=()
    if [[ $mode == on ]]; then
      start_broker "$d" bootstrap.log
      curl -sf -XPUT "$url/users/bench/credentials/SCRAM-SHA-256" -H 'Content-Type: application/json' \
        -d '{"password": "bench-secret", "iterations": 8192}' > /dev/null || exit 1
      kill "$pid"; wait "$pid" 2>/dev/null
      start_broker "$d" broker.log --set authentication.method=BASIC --set super.users=User:bench
      creds=(--username bench --password bench-secret)
    else
      start_broker "$d" broker.log
    fi
    for cmd in produce consume; do
      l=$(cut -d' ' -f1 /proc/loadavg)
      before=$(ticks "$pid")
      f="$OUT/r$r-$mode-$cmd.txt"
      if [[ $cmd == produce ]]; then
        java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" "${creds[@]}" --topic t --records "$N" \
          --record-size 100 --acks 1 --partitions 1 > "$f" 2>&1
      else
        java -Xmx512m -jar "$JAR" perf consume --bootstrap "$url" "${creds[@]}" --topic t --records "$N" > "$f" 2>&1
      fi
      after=$(ticks "$pid")
      cpu_ms=$(( (after - before) * 1000 / HZ ))
      echo "round $r $mode $cmd load=$l broker_cpu_ms=$cpu_ms per_1000=$(awk -v c=$cpu_ms -v n=$N 'BEGIN{printf "%.3f", c*1000/n}') :: $(tail -1 "$f")"
    done
    kill "$pid"; wait "$pid" 2>/dev/null
    rm -rf "$d"
  done
done

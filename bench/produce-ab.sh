#!/usr/bin/env bash
# Broker jars A/B for the produce rows (issue 16): for each round, for each jar in turn, a fresh broker from that jar,
# then `perf produce` p1 and p6 from one client jar, printing records/s with the 1-minute load average beside it.
#   bench/produce-ab.sh ROUNDS RECORDS JAR_A JAR_B [JAR_C ...]
# Env: CLIENT_JAR (default: target/sluice.jar), OUT (default /tmp/produce-ab; whole outputs kept there).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
ROUNDS=$1; N=$2; shift 2
CLIENT="${CLIENT_JAR:-$HERE/../target/sluice.jar}"
OUT="${OUT:-/tmp/produce-ab}"; mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  for jar in "$@"; do
    d=$(mktemp -d /tmp/produce-ab.XXXX)
    java -Xmx1g -jar "$jar" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
      --set zookeeper.embedded.port=0 > "$d/broker.log" 2>&1 &
    pid=$!
    url=$(sluice_url "$d/broker.log" "$pid" 120) || exit 1
    for row in p1 p6; do
      parts=1; [[ $row == p6 ]] && parts=6
      l=$(cut -d' ' -f1 /proc/loadavg)
      f="$OUT/r$r-$(basename "$jar")-$row.txt"
      java -Xmx512m -jar "$CLIENT" perf produce --bootstrap "$url" --topic "t-$row" --records "$N" --record-size 100 \
        --acks 1 --partitions "$parts" > "$f" 2>&1
      echo "round $r $(basename "$jar") $row load=$l :: $(tail -1 "$f")"
    done
    kill "$pid"; wait "$pid" 2>/dev/null
    rm -rf "$d"
  done
done

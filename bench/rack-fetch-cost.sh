#!/usr/bin/env bash
# The leader-only fetch path's cost with rack awareness built in but unused (h-rack): a fresh broker of JAR (no
# broker.rack, no replica.selector.class: every broker as it runs today), RECORDS records of 100 B written to one
# partition, then `perf consume` of them twice (a warm-up, then the measured one, as readers without client.rack).
# Prints the broker's CPU (utime+stime from /proc/PID/stat) per 1,000 records consumed, with the 1-minute load.
#   flock /tmp/sluice-bench.lock bench/rack-fetch-cost.sh LABEL RECORDS JAR
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
LABEL=$1; N=$2; JAR=$3
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
d=$(mktemp -d /tmp/h-rack/bench.XXXX)
java -Xmx1g -Xms1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
  --set zookeeper.embedded.port=0 > "$d/broker.log" 2>&1 &
pid=$!
url=$(sluice_url "$d/broker.log" "$pid" 120) || exit 1
java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" --topic t1 --records "$N" --record-size 100 \
  --acks 1 > "$d/produce.txt" 2>&1
java -Xmx512m -jar "$JAR" perf consume --bootstrap "$url" --topic t1 --records "$N" > "$d/warm.txt" 2>&1
l=$(cut -d' ' -f1 /proc/loadavg); c0=$(cpu "$pid")
java -Xmx512m -jar "$JAR" perf consume --bootstrap "$url" --topic t1 --records "$N" > "$d/run.txt" 2>&1
c1=$(cpu "$pid")
echo "$LABEL load=$l broker_cpu_ms_per_1000=$(echo "scale=3; ($c1 - $c0) * 10 * 1000 / $N" | bc) :: $(tail -1 "$d/run.txt")"
kill "$pid"; wait "$pid" 2>/dev/null
rm -rf "$d"

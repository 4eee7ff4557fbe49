#!/usr/bin/env bash
# What a share group's state writes cost (h-share3): for each round, a fresh broker, RECORDS records produced to a
# 1-partition topic, then `perf consume --group` (the Java client's group consumer) and `perf consume --share-group`
# (its ShareConsumer: each poll's records accepted implicitly by the next, so each poll is one fetch and one
# acknowledgement, each answered after an acks=all write to __share_group_state) on the same topic, alternating which
# goes first. Prints the consumer's records/sec and the broker's CPU (utime+stime from /proc/PID/stat) per 1,000
# consumed records with the 1-minute load average beside it.
#   flock /tmp/sluice-bench.lock bench/share-cost.sh ROUNDS RECORDS JAR
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
ROUNDS=$1; N=$2; JAR=$3
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # URL PID KIND ROUND DIR
  local l c0 c1
  l=$(cut -d' ' -f1 /proc/loadavg); c0=$(cpu "$2")
  if [ "$3" = share ]; then
    java -Xmx512m -jar "$JAR" perf consume --bootstrap "$1" --topic t1 --records "$N" --share-group s > "$5/$3.txt" 2>&1
  else
    java -Xmx512m -jar "$JAR" perf consume --bootstrap "$1" --topic t1 --records "$N" --group g > "$5/$3.txt" 2>&1
  fi
  c1=$(cpu "$2")
  echo "round $4 $3 load=$l cpu_ms_per_1000=$(echo "scale=3; ($c1 - $c0) * 10 * 1000 / $N" | bc) :: $(grep 'records consumed' "$5/$3.txt" | tail -1)"
}
for r in $(seq 1 "$ROUNDS"); do
  d=$(mktemp -d /tmp/h-share3-bench.XXXX)
  java -Xmx1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port=0 > "$d/broker.log" 2>&1 &
  pid=$!
  url=$(sluice_url "$d/broker.log" "$pid" 120) || exit 1
  curl -sf -XPOST "$url/topics" -H 'Content-Type: application/json' \
    -d '{"name": "t1", "partitions": 1, "replication_factor": 1}' > /dev/null || exit 1
  java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" --topic t1 --records "$N" --record-size 100 \
    --acks 1 > "$d/produce.txt" 2>&1
  if [ $((r % 2)) = 1 ]; then order="group share"; else order="share group"; fi
  for kind in $order; do
    measure "$url" "$pid" "$kind" "$r" "$d"
  done
  kill "$pid"; wait "$pid" 2>/dev/null
  rm -rf "$d"
done

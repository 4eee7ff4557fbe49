#!/usr/bin/env bash
# What the consumer-instance poll's Read check costs with the authorizer on (h-probe3): for each round and each jar
# (A then B), a fresh broker with authorizer.enable and an ACL allowing User:* everything, RECORDS records produced to
# a 6-partition topic, then a measured `perf consume --group` (the Java client's group consumer: consumer-instance
# polls of stored batches). Prints the broker's CPU (utime+stime from /proc/PID/stat) per 1,000 consumed records with
# the 1-minute load average beside it.
#   bench/poll-acl-cost.sh ROUNDS RECORDS JAR_A JAR_B
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
ROUNDS=$1; N=$2; shift 2
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq 1 "$ROUNDS"); do
  for JAR in "$@"; do
    d=$(mktemp -d /tmp/h-probe3-bench.XXXX)
    java -Xmx1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
      --set zookeeper.embedded.port=0 --set authorizer.enable=true --set allow.everyone.if.no.acl.found=true \
      > "$d/broker.log" 2>&1 &
    pid=$!
    url=$(sluice_url "$d/broker.log" "$pid" 120) || exit 1
    for type in TOPIC GROUP; do
      curl -sf -XPOST "$url/acls" -H 'Content-Type: application/json' -d '{"resource_type": "'$type'",
        "resource_name": "*", "principal": "User:*", "operation": "ALL", "permission": "ALLOW"}' > /dev/null || exit 1
    done
    curl -sf -XPOST "$url/topics" -H 'Content-Type: application/json' \
      -d '{"name": "t6", "partitions": 6, "replication_factor": 1}' > /dev/null || exit 1
    java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" --topic t6 --records "$N" --record-size 100 \
      --acks 1 > "$d/produce.txt" 2>&1
    l=$(cut -d' ' -f1 /proc/loadavg); c0=$(cpu "$pid")
    java -Xmx512m -jar "$JAR" perf consume --bootstrap "$url" --topic t6 --records "$N" --group g \
      > "$d/run.txt" 2>&1
    c1=$(cpu "$pid")
    echo "round $r $(basename "$(dirname "$(dirname "$JAR")")") load=$l cpu_ms_per_1000=$(echo "scale=3; ($c1 - $c0) * 10 * 1000 / $N" | bc) :: $(tail -1 "$d/run.txt")"
    kill "$pid"; wait "$pid" 2>/dev/null
    rm -rf "$d"
  done
done

#!/usr/bin/env bash
# The authorizer's cost on the produce path (h-acl): for each round, a fresh broker from JAR with the authorizer off,
# then one with it on (an ACL allowing User:* everything on every topic, so each produce is decided by the ACLs'
# cached decision); a warm-up `perf produce`, then the measured one. Prints the broker's CPU (utime+stime from
# /proc/PID/stat) per 1,000 records of the measured run, with the 1-minute load average beside it.
#   bench/acl-cost.sh ROUNDS RECORDS JAR
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
ROUNDS=$1; N=$2; JAR=$3
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    d=$(mktemp -d /tmp/h-acl-bench.XXXX)
    extra=(); [[ $mode == on ]] && extra=(--set authorizer.enable=true --set allow.everyone.if.no.acl.found=true)
    java -Xmx1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
      --set zookeeper.embedded.port=0 "${extra[@]}" > "$d/broker.log" 2>&1 &
    pid=$!
    url=$(sluice_url "$d/broker.log" "$pid" 120) || exit 1
    if [[ $mode == on ]]; then
      curl -sf -XPOST "$url/acls" -H 'Content-Type: application/json' -d '{"resource_type": "TOPIC",
        "resource_name": "*", "principal": "User:*", "operation": "ALL", "permission": "ALLOW"}' > /dev/null || exit 1
    fi
    java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" --topic warm --records 200000 --record-size 100 \
      --acks 1 > "$d/warm.txt" 2>&1
    l=$(cut -d' ' -f1 /proc/loadavg); c0=$(cpu "$pid")
    java -Xmx512m -jar "$JAR" perf produce --bootstrap "$url" --topic t1 --records "$N" --record-size 100 \
      --acks 1 > "$d/run.txt" 2>&1
    c1=$(cpu "$pid")
    echo "round $r $mode load=$l cpu_ms_per_1000=$(echo "scale=3; ($c1 - $c0) * 10 * 1000 / $N" | bc) :: $(tail -1 "$d/run.txt")"
    kill "$pid"; wait "$pid" 2>/dev/null
    rm -rf "$d"
  done
done

#!/usr/bin/env bash
# bench/route-cost.sh JAR LABEL OUTDIR (under flock /tmp/sluice-bench.lock): a fresh broker from JAR (connect and
# streams off), a 500,000-record warm-up of p6 and c6, then a measured p6 and c6 of N records (client: the CLIENT jar,
# keep it the same across runs), printing the broker process CPU (/proc utime+stime) per 1,000 records and its
# allocation per record (JFR ThreadAllocationStatistics at the measured window's edges: alloc-edges.jfc), with the load.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; source "$HERE/broker-url.sh"
JAR=$1; LABEL=$2; OUT=$3; N=${N:-2000000}; CLIENT=${CLIENT:-$JAR}; mkdir -p "$OUT"
JFC="$HERE/alloc-edges.jfc"; SUM="$HERE/jfr-alloc.py"
d=$(mktemp -d /tmp/sluice-route-cost.XXXX)
java -Xmx1g -Xms1g -jar "$JAR" --data-dir "$d/data" --http-port 0 --set http.host=127.0.0.1 \
  --set zookeeper.embedded.port=0 --set connect.enabled=false --set streams.enabled=false > "$OUT/$LABEL-broker.log" 2>&1 &
pid=$!
url=$(sluice_url "$OUT/$LABEL-broker.log" "$pid" 120) || exit 1
cl() { java -Xmx512m -jar "$CLIENT" perf "$@"; }
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
HZ=$(getconf CLK_TCK)
cl produce --bootstrap "$url" --topic warm --records 500000 --record-size 100 --acks 1 --partitions 6 --throughput -1 > /dev/null 2>&1
cl consume --bootstrap "$url" --topic warm --records 500000 > /dev/null 2>&1
measure() { # row, then the client's arguments
  local row=$1; shift; sync
  local l0; l0=$(cut -d' ' -f1 /proc/loadavg)
  jcmd $pid JFR.start name=$row settings=$JFC > /dev/null
  local c0; c0=$(ticks)
  cl "$@" > "$OUT/$LABEL-$row.txt" 2>&1
  local c1; c1=$(ticks)
  jcmd $pid JFR.stop name=$row filename="$OUT/$LABEL-$row.jfr" > /dev/null
  local bytes; bytes=$(python3 $SUM "$OUT/$LABEL-$row.jfr" | sed -nE 's/^total ([0-9.,]+) MB/\1/p' | tr -d ,)
  echo "$LABEL $row cpu_ms_per_1000=$(echo "scale=3; ($c1-$c0)*1000/$HZ/($N/1000)" | bc) alloc_B_per_record=$(echo "scale=1; $bytes*1000000/$N" | bc) load=$l0-$(cut -d' ' -f1 /proc/loadavg) :: $(tail -1 "$OUT/$LABEL-$row.txt" | cut -c1-70)"
}
measure p6 produce --bootstrap "$url" --topic t6 --records $N --record-size 100 --acks 1 --partitions 6 --throughput -1
measure c6 consume --bootstrap "$url" --topic t6 --records $N
kill $pid; wait $pid 2>/dev/null; rm -rf "$d"

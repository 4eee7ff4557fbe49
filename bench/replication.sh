#!/usr/bin/env bash
# Replication cost (issue 16): three brokers from a jar on loopback (free ports, small heaps; broker 1 runs the embedded
# ZooKeeper, 2 and 3 join it), then produce with acks=all to a topic of replication factor 1 and one of 3, alternating,
# and print each pair's records/s and the ratio RF 3 / RF 1 with the 1-minute load average.
#   bench/replication.sh [sluice.jar] [results-dir]     Env: REPS=3 N=1200000 PARTITIONS=3 BATCH=1000 HEAP=-Xmx256m WARMUP=1
#   JVM_OPTS="..." goes to the brokers' JVMs (e.g. -XX:StartFlightRecording=settings=profile,filename=/tmp/b.jfr),
#   BROKER_ARGS="..." to the brokers themselves (e.g. --set replica.fetch.linger.ms=5).
# Before the reps, one produce of N/2 records to each topic warms the brokers' JIT and is not counted (WARMUP=0 skips
# it): without it the first run of a fresh cluster is the slowest, whichever replication factor it measures.
# Each run also prints the CPU the three brokers spent per 1,000 records (user + system, from /proc): on a loaded
# machine throughput swings with the other work, while the CPU a record costs holds, so the cost ratio is the steadier
# figure of replication's price. With RF 3 it also prints the follower fetches the leaders answered during the run (from
# each broker's /metrics: sluice_replica_fetches_served_total and friends), per produce request and in bytes per fetch.
# Each produce's own output (with its request latency) is kept in RESULTS/produce-rfN.log.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-$(mktemp -d /tmp/sluice-replication.XXXXXX)}"
REPS="${REPS:-3}"; N="${N:-1200000}"; PARTS="${PARTITIONS:-3}"; HEAP="${HEAP:--Xmx256m}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ZK="$(free_port)"
mkdir -p "$RES"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
url_of() { cat "$RES/url-$1"; }
await_url() {
  [[ -s "$RES/url-$1" ]] || sluice_url "$RES/broker-$1.log" "${PIDS[$(( $1 - 1 ))]}" 120 > "$RES/url-$1"
}
for id in 1 2 3; do
  rm -rf "$RES/d$id" "$RES/url-$id"
  # shellcheck disable=SC2086
  java $HEAP ${JVM_OPTS:-} -jar "$JAR" --broker-id "$id" --http-port 0 --data-dir "$RES/d$id" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port="$ZK" --set num.io.threads=2 --set http.instances=1 ${BROKER_ARGS:-} \
    > "$RES/broker-$id.log" 2>&1 &
  PIDS+=($!)
  if [[ $id == 1 ]]; then await_url 1; fi  # the others join its ZooKeeper
done
for id in 1 2 3; do await_url "$id"; done
URL="$(url_of 1)"
until curl -sf "$URL/cluster" | grep -o '"alive":true' | wc -l | grep -q 3; do sleep 0.2; done
echo "three brokers up; requests go to broker 1 at $URL (ZooKeeper 127.0.0.1:$ZK); results in $RES"
produce() {  # $1 = replication factor, $2 = records
  java -Xmx512m -cp "$JAR" io.sluice.bench.HttpBench produce --url "$URL" --format binary --partitions "$PARTS" \
    --records "${2:-$N}" --record-size 100 --batch-records "${BATCH:-1000}" --acks all --inflight 8 --replication-factor "$1" 2>&1 \
    | tee -a "$RES/produce-rf$1.log" | grep -oE '[0-9]+ records/s' | head -1 | grep -oE '^[0-9]+'
}
if [[ "${WARMUP:-1}" == 1 ]]; then
  for rf in 1 3; do echo "warm-up RF $rf: $(produce "$rf" $(( N / 2 )) || echo 0) records/s (not counted)"; done
fi
cpu_ticks() {  # user + system clock ticks of the three brokers so far
  local t=0 p f
  for p in "${PIDS[@]}"; do
    read -ra f < "/proc/$p/stat"
    t=$(( t + f[13] + f[14] ))
  done
  echo "$t"
}
HZ="$(getconf CLK_TCK)"
fetch_counts() {  # follower fetches, empty ones and their bytes, answered by the three brokers as leaders so far
  local id
  for id in 1 2 3; do curl -sf "$(url_of "$id")/metrics" || true; done | awk '
    /^sluice_replica_fetches_served_total/ { f += $2 } /^sluice_replica_fetches_served_empty_total/ { e += $2 }
    /^sluice_replica_fetch_bytes_served_bytes_total/ { b += $2 } END { printf "%d %d %d", f, e, b }'
}
for r in $(seq 1 "$REPS"); do
  order="1 3"; (( r % 2 == 0 )) && order="3 1"
  declare -A rate=() cpu=()
  for rf in $order; do
    l="$(cut -d' ' -f1 /proc/loadavg)"
    c0="$(cpu_ticks)"; read -r f0 e0 b0 <<< "$(fetch_counts)"
    rate[$rf]="$(produce "$rf" || echo 0)"
    cpu[$rf]="$(awk -v t=$(( $(cpu_ticks) - c0 )) -v hz="$HZ" -v n="$N" 'BEGIN{ printf "%.1f", t * 1000 / hz / n * 1000 }')"
    read -r f1 e1 b1 <<< "$(fetch_counts)"
    fetches="$(awk -v f=$(( f1 - f0 )) -v e=$(( e1 - e0 )) -v b=$(( b1 - b0 )) -v req=$(( N / ${BATCH:-1000} )) \
      'BEGIN{ if (f > 0) printf "; %d follower fetches, %.2f per produce request, %d empty, %d bytes per fetch", f, f / req, e, b / f }')"
    echo "rep $r RF $rf: ${rate[$rf]} records/s, brokers' CPU ${cpu[$rf]} ms per 1000 records (load $l)$fetches"
  done
  awk -v a="${rate[1]}" -v b="${rate[3]}" -v ca="${cpu[1]}" -v cb="${cpu[3]}" -v r="$r" \
    'BEGIN{ if (a > 0 && cb > 0) printf "rep %d ratio RF3/RF1: %.2f throughput, %.2f by CPU per record (RF1 / RF3)\n", r, b / a, ca / cb }'
done

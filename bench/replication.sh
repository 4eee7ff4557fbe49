#!/usr/bin/env bash
# Replication cost (issue 16): three brokers from a jar on loopback (free ports, small heaps; broker 1 runs the embedded
# ZooKeeper, 2 and 3 join it), then produce with acks=all to a topic of replication factor 1 and one of 3, and print
# each run's records/s, the ratio RF 3 / RF 1 per rep and, at the end, the ratio of the medians.
#   bench/replication.sh [sluice.jar] [results-dir]     Env: REPS=4 N=1200000 PARTITIONS=3 BATCH=1000 HEAP=-Xmx256m (and -Xms of that size)
#   LOOPS=N event loops per broker (num.event.loop.threads; default: the host's processors shared by the three brokers,
#   at least 1; LOOPS=0 is the broker's own default, twice the processors each)
#   WARMUP=1 WARMUP_N=N WARMUP_MAX=8 JIT_QUIET=0.5 KEEP_DATA=0; JVM_OPTS="..." goes to the brokers' JVMs (e.g.
#   -XX:StartFlightRecording=settings=profile,filename=/tmp/b.jfr), BROKER_ARGS="..." to the brokers themselves.
# Fairness: the brokers' JIT keeps warming for minutes, so whichever factor runs later in a rep meets faster code (with
# a fixed order, RF 1 ran second in every even rep and its 275k-489k spread decided the ratio). So: warm-up produces
# to each factor until the JIT compilers go quiet (below; not counted), then the reps alternate which factor runs
# first (rep 1: 1 then 3, rep 2: 3 then 1, ...), so over an even number of reps both factors hold the same positions on
# average and a steady drift cancels in the ratio of the medians (and in the geometric mean of the per-rep ratios,
# also printed); a single rep's ratio still carries the drift of its order, so it is printed with its order.
# Each run also prints the CPU the three brokers spent per 1,000 records (user + system, from /proc), together and per
# broker (broker 1 takes every HTTP request and forwards the others' partitions to them): on a loaded machine
# throughput swings with the other work, while the CPU a record costs holds, so the cost ratio is the steadier figure.
# Per thread kind it also prints the part spent in the kernel (system time), and the read and write system calls of the
# brokers per 1,000 records (/proc/PID/io), counts the load does not move.
# With RF 3 it also prints the follower fetches the leaders answered during the run (from each broker's /metrics:
# sluice_replica_fetches_served_total and friends), per produce request and in bytes per fetch, and every run prints its
# acks=all request latency (p50 / p99) and the 1-minute load average at its start and end.
# Each produce's own output is kept in RESULTS/produce-rfN.log, the per-run lines in RESULTS/runs.txt.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/broker-url.sh"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
RES="${2:-$(mktemp -d /tmp/sluice-replication.XXXXXX)}"
REPS="${REPS:-4}"; N="${N:-1200000}"; PARTS="${PARTITIONS:-3}"; HEAP="${HEAP:--Xmx256m}"
# Three brokers share this host, so each gets its share of the processors as event loops, as it gets two storage
# threads (num.io.threads=2) and one HTTP instance: with each broker's default (twice the processors) two cores ran
# twelve event loops, and a follower fetch's hand-offs between them woke sleeping threads twice as often (17-21
# voluntary context switches per 1,000 records at RF 3 against 8-10 with one loop each, and twice the read and write
# system calls). The same brokers serve both factors, so both run at it (docs/benchmarks.md, issue 16, seventeenth
# session, h-repl9); LOOPS=0 gives figures comparable with earlier sessions'.
LOOPS="${LOOPS:-$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ZK="$(free_port)"
mkdir -p "$RES"
PIDS=()
# The brokers' data (about 1.5 GB a run with the defaults) goes at exit unless KEEP_DATA=1: runs one after another
# filled the disk of the shared machine once (tenth session).
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done
  [[ "${KEEP_DATA:-0}" == 1 ]] || rm -rf "$RES/d1" "$RES/d2" "$RES/d3"
}
trap cleanup EXIT
url_of() { cat "$RES/url-$1"; }
await_url() {
  [[ -s "$RES/url-$1" ]] || sluice_url "$RES/broker-$1.log" "${PIDS[$(( $1 - 1 ))]}" 120 > "$RES/url-$1"
}
for id in 1 2 3; do
  rm -rf "$RES/d$id" "$RES/url-$id"
  # -Xms as large as HEAP's -Xmx (as compare-kafka.sh and Kafka's start script do): without it G1 resized a broker's
  # heap in the middle of a measured run (docs/benchmarks.md, issue 16, eleventh session, h-repl3)
  # shellcheck disable=SC2086
  java $HEAP "-Xms${HEAP#-Xmx}" ${JVM_OPTS:-} -jar "$JAR" --broker-id "$id" --http-port 0 --data-dir "$RES/d$id" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port="$ZK" --set num.io.threads=2 --set http.instances=1 \
    --set num.event.loop.threads="$LOOPS" ${BROKER_ARGS:-} \
    > "$RES/broker-$id.log" 2>&1 &
  PIDS+=($!)
  if [[ $id == 1 ]]; then await_url 1; fi  # the others join its ZooKeeper
done
for id in 1 2 3; do await_url "$id"; done
URL="$(url_of 1)"
until curl -sf "$URL/cluster" | grep -o '"alive":true' | wc -l | grep -q 3; do sleep 0.2; done
echo "three brokers up ($LOOPS event loops each, 0: the broker's default); requests go to broker 1 at $URL (ZooKeeper 127.0.0.1:$ZK); results in $RES"
produce() {  # $1 = replication factor, $2 = records, $3 = a topic made by create_topic (else produce makes one)
  java -Xmx512m -cp "$JAR" io.sluice.bench.HttpBench produce --url "$URL" --format binary --partitions "$PARTS" \
    --records "${2:-$N}" --record-size 100 --batch-records "${BATCH:-1000}" --acks all --inflight 8 --replication-factor "$1" \
    ${3:+--topic "$3"} 2>&1 \
    | tee -a "$RES/produce-rf$1.log" | grep -E '^produce ' | head -1 \
    | sed -E 's/.* ([0-9]+) records\/s.* p50 ([0-9.]+) ms, p99 ([0-9.]+) ms.*/\1 \2 \3/'
}
create_topic() {  # $1 = replication factor; prints the name. Made before a measured run reads its counters, so that
  # the run's CPU holds the produce only, not the opening of the topic's logs (RF 3's six extra replica logs were
  # 0.03-0.05 ms per 1,000 records of "replication's own CPU": docs/benchmarks.md, issue 16, seventeenth session)
  java -Xmx256m -cp "$JAR" io.sluice.bench.HttpBench create --url "$URL" --format binary --partitions "$PARTS" \
    --replication-factor "$1" 2>&1 | grep -E '^topic ' | tail -1 | cut -d' ' -f2
}
drop_topic() {  # deletes the topic the last produce of factor $1 made: left behind, each run's idle replicated
  # partitions added empty follower fetches to every later run (0.3 -> 1.5 per 1,000 records over a script run)
  local t
  t="$(grep -E '^topic ' "$RES/produce-rf$1.log" | tail -1 | cut -d' ' -f2)"
  [[ -n "$t" ]] && curl -sf -X DELETE "$URL/topics/$t" > /dev/null || true
}
cpu_ticks() {  # user + system clock ticks of each of the three brokers so far, space separated
  local p f out=()
  for p in "${PIDS[@]}"; do
    read -ra f < "/proc/$p/stat"
    out+=($(( f[13] + f[14] )))
  done
  echo "${out[@]}"
}
HZ="$(getconf CLK_TCK)"
thread_ticks() {  # clock ticks of the three brokers' threads so far, summed by kind: JIT compilers, GC and VM, event
  # loops, storage pool, the rest. C1/C2 are native threads that JFR does not sample, and in a run of seconds they can
  # spend more than the event loops (docs/benchmarks.md, issue 16, tenth session), so each run's CPU is also given
  # without them. Threads that ended during a run are missed (few: the pools keep theirs).
  local p
  for p in "${PIDS[@]}"; do cat /proc/"$p"/task/*/stat 2>/dev/null || true; done | awk '
    { match($0, /\(.*\)/); name = substr($0, RSTART + 1, RLENGTH - 2); split(substr($0, RSTART + RLENGTH + 1), f, " ")
      t = f[12] + f[13]
      if (name ~ /CompilerThre/) k = 1; else if (name ~ /^(GC |G1 |VM Thread)/) k = 2
      else if (name ~ /eventloo/) k = 3; else if (name ~ /storage/) k = 4; else k = 5
      s[k] += t; sy[k] += f[13] } END { printf "%d %d %d %d %d %d %d %d %d %d", s[1], s[2], s[3], s[4], s[5], sy[1], sy[2], sy[3], sy[4], sy[5] }'
}
io_calls() {  # read and write system calls of the three brokers so far (/proc/PID/io: syscr, syscw; sockets and files
  # alike), summed: a count the load does not move, unlike the time they take
  local p
  for p in "${PIDS[@]}"; do cat /proc/"$p"/io 2>/dev/null || true; done \
    | awk '/^syscr/ { r += $2 } /^syscw/ { w += $2 } END { printf "%d %d", r, w }'
}
fetch_counts() {  # follower fetches, empty ones and their bytes, answered by the three brokers as leaders so far; then
  # those with batches by where the bytes came from: the append that woke them, the recent appends kept, a storage read
  local id
  for id in 1 2 3; do curl -sf "$(url_of "$id")/metrics" || true; done | awk '
    /^sluice_replica_fetches_served_total/ { f += $2 } /^sluice_replica_fetches_served_empty_total/ { e += $2 }
    /^sluice_replica_fetch_answers_total\{source="append"/ { a += $2 } /^sluice_replica_fetch_answers_total\{source="recent"/ { m += $2 }
    /^sluice_replica_fetch_answers_total\{source="storage"/ { s += $2 }
    /^sluice_replica_fetch_bytes_served_bytes_total/ { b += $2 } END { printf "%.0f %.0f %.0f %.0f %.0f %.0f", f, e, b, a, m, s }  # not %d: mawk clamps it at 2^31, and the bytes pass that'
}
load() { cut -d' ' -f1 /proc/loadavg; }
switches() {  # voluntary context switches of the three brokers' threads so far: each is a thread going to sleep
  # (an idle event loop or pool thread that a hand-off will have to wake), so per 1,000 records they count hand-offs
  local p
  for p in "${PIDS[@]}"; do cat /proc/"$p"/task/*/status 2>/dev/null || true; done \
    | awk '/^voluntary_ctxt_switches/ { s += $2 } END { printf "%d", s }'
}
# The warm-up: a produce of WARMUP_N records to each factor, repeated until the brokers' JIT compilers spend under
# JIT_QUIET ms per 1,000 of its records (default 0.5; at most WARMUP_MAX rounds, default 8). A fixed count was not
# enough: the compilers took half of a run's CPU minutes after the start, and each run met less of them than the one
# before, whatever its factor (docs/benchmarks.md, issue 16, tenth session); measured in that state, the ratio follows
# the order of the runs. WARMUP=0 skips it, WARMUP_MAX=1 is the single round of earlier versions.
if [[ "${WARMUP:-1}" == 1 ]]; then
  wn="${WARMUP_N:-$N}"
  for round in $(seq 1 "${WARMUP_MAX:-8}"); do
    read -ra j0 <<< "$(thread_ticks)"; ws=""
    for rf in 1 3; do
      read -r w _ <<< "$(produce "$rf" "$wn" || echo 0)"; ws="$ws RF $rf ${w:-0}"; drop_topic "$rf"
    done
    read -ra j1 <<< "$(thread_ticks)"
    jit="$(awk -v hz="$HZ" -v n=$(( 2 * wn )) -v a="${j0[0]}" -v b="${j1[0]}" 'BEGIN{ printf "%.2f", (b - a) * 1e6 / hz / n }')"
    echo "warm-up round $round:$ws records/s (not counted); JIT compilers $jit ms per 1000 records (load $(load))"
    awk -v j="$jit" -v q="${JIT_QUIET:-0.5}" 'BEGIN{ exit !(j < q) }' && break
  done
fi
: > "$RES/runs.txt"
for r in $(seq 1 "$REPS"); do
  order="1 3"; (( r % 2 == 0 )) && order="3 1"
  declare -A rate=() cpu=() nojit=()
  for rf in $order; do
    topic="$(create_topic "$rf")"
    sync # the previous run's dirty pages, written back now, not during this run (compare-kafka.sh's reason)
    l0="$(load)"; t0="$(date -u +%T)"
    read -ra c0 <<< "$(cpu_ticks)"; read -ra g0 <<< "$(thread_ticks)"; w0="$(switches)"; read -r f0 e0 b0 a0 m0 s0 <<< "$(fetch_counts)"
    read -r r0 x0 <<< "$(io_calls)"
    read -r rt p50 p99 <<< "$(produce "$rf" "$N" "$topic" || echo 0)"
    rate[$rf]="${rt:-0}"
    read -ra c1 <<< "$(cpu_ticks)"; read -ra g1 <<< "$(thread_ticks)"; w1="$(switches)"; read -r r1 x1 <<< "$(io_calls)"
    read -r jit gc loops storage other sjit sgc sloops sstorage sother <<< "$(awk -v hz="$HZ" -v n="$N" -v a="${g0[*]}" -v b="${g1[*]}" 'BEGIN{
      split(a, x); split(b, y); for (i = 1; i <= 10; i++) printf "%.2f ", (y[i] - x[i]) * 1e6 / hz / n }')"
    per="$(awk -v hz="$HZ" -v n="$N" -v a="${c0[*]}" -v b="${c1[*]}" 'BEGIN{
      split(a, x); split(b, y); for (i = 1; i <= 3; i++) { d = (y[i] - x[i]) * 1e6 / hz / n; t += d; s = s sprintf(" %.2f", d) }
      printf "%.2f%s", t, s }')"
    read -r cpu[$rf] c_b1 c_b2 c_b3 <<< "$per"
    nojit[$rf]="$(awk -v t="${cpu[$rf]}" -v j="$jit" 'BEGIN{ printf "%.2f", t - j }')"
    read -r f1 e1 b1 a1 m1 s1 <<< "$(fetch_counts)"
    fetches="$(awk -v f=$(( f1 - f0 )) -v e=$(( e1 - e0 )) -v b=$(( b1 - b0 )) -v req=$(( N / ${BATCH:-1000} )) \
      -v a=$(( a1 - a0 )) -v m=$(( m1 - m0 )) -v s=$(( s1 - s0 )) \
      'BEGIN{ if (f > 0) printf "; %d follower fetches, %.2f per produce request, %d empty, %d bytes per fetch", f, f / req, e, b / f
        if (a + m + s > 0) printf "; with batches from the append %d, from the recent appends %d, from storage %d", a, m, s }')"
    echo "$t0-$(date -u +%T) rep $r RF $rf: ${rate[$rf]} records/s, acks=all p50 ${p50:-?} p99 ${p99:-?} ms, brokers' CPU ${cpu[$rf]} ms per 1000 records (broker 1/2/3: $c_b1/$c_b2/$c_b3; JIT compilers $jit, without them ${nojit[$rf]}: GC+VM $gc, event loops $loops, storage $storage, other $other; of which in the kernel: event loops $sloops, storage $sstorage; $(( (w1 - w0) * 1000 / N )) voluntary context switches, $(( (r1 - r0) * 1000 / N )) read and $(( (x1 - x0) * 1000 / N )) write system calls per 1000 records) (load $l0 -> $(load))$fetches"
    echo "$r $rf ${rate[$rf]} ${cpu[$rf]} ${nojit[$rf]}" >> "$RES/runs.txt"
    drop_topic "$rf"
  done
  awk -v a="${rate[1]}" -v b="${rate[3]}" -v ca="${cpu[1]}" -v cb="${cpu[3]}" -v r="$r" -v o="${order// /,}" \
    'BEGIN{ if (a > 0 && cb > 0) printf "rep %d (order %s) ratio RF3/RF1: %.2f throughput, %.2f by CPU per record (RF1 / RF3)\n", r, o, b / a, ca / cb }'
done
# The fair figures: medians over the reps of each factor (both factors held each position equally often when REPS is
# even), and the geometric mean of the per-rep ratios, in which an order's bias and the opposite order's cancel.
awk -v reps="$REPS" 'function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { if ($2 == 1) { r1[++n1] = $3; c1[n1] = $4; j1[n1] = $5; x1[$1] = $3 } else { r3[++n3] = $3; c3[n3] = $4; j3[n3] = $5; x3[$1] = $3 } }
  END { if (!n1 || !n3) exit; for (r in x1) if (x1[r] > 0 && x3[r] > 0) { lg += log(x3[r] / x1[r]); k++ }
    m1 = median(r1, n1); m3 = median(r3, n3); mc1 = median(c1, n1); mc3 = median(c3, n3); mj1 = median(j1, n1); mj3 = median(j3, n3)
    printf "medians over %d reps: RF 1 %d, RF 3 %d records/s; ratio of medians %.2f throughput, %.2f by CPU per record (RF 1 %.2f, RF 3 %.2f ms per 1000); geometric mean of per-rep ratios %.2f%s\n",
      reps, m1, m3, m3 / m1, mc1 / mc3, mc1, mc3, k ? exp(lg / k) : 0, reps % 2 ? " (odd REPS: the orders are not balanced)" : ""
    printf "without the JIT compilers: RF 1 %.2f, RF 3 %.2f ms per 1000 records, ratio %.2f; replication own CPU (RF 3 - RF 1) %.2f\n", mj1, mj3, (mj3 > 0 ? mj1 / mj3 : 0), mj3 - mj1 }' "$RES/runs.txt"

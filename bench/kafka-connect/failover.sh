#!/usr/bin/env bash
# Time until a killed worker's task runs again: Kafka Connect 4.1 (distributed mode, two workers, against Apache Kafka
# from ../shared/anchors/kafka) beside Sluice (two brokers from the jar; the connect worker is inside each broker).
# Two FileStreamSource connectors (one task each) run on the two workers; kill -9 of the worker running one of them,
# then the time until that task is RUNNING on the other worker, polled every 100 ms through the survivor's REST API.
# Kafka Connect runs with its defaults (session.timeout.ms 10 s, scheduled.rebalance.max.delay.ms 5 min: a lost
# worker's tasks wait for it that long) and tuned (session.timeout.ms 6 s as Sluice's ZooKeeper session, no delay);
# Sluice with its default zookeeper.session.timeout.ms of 6 s.
# Usage: bench/kafka-connect/failover.sh [sluice.jar]   (run from the project root, after mvn package)
# SIDES=sluice or SIDES=kafka runs one side only; SIDES=kafka-default only Kafka Connect with its defaults.
set -euo pipefail
JAR=${1:-target/sluice.jar}
ANCHOR=$(cd "$(dirname "$0")/../../../shared/anchors/kafka" && pwd)
LIB=${KAFKA_LIB:-/tmp/kafka-anchor-lib}
WORK=$(mktemp -d /tmp/failover-bench.XXXX)
FILE_JAR=$(ls ~/.m2/repository/org/apache/kafka/connect-file/4.1.*/connect-file-4.1.*.jar | head -1)
mkdir -p "$WORK/plugins/file" && cp "$FILE_JAR" "$WORK/plugins/file/"
for i in 1 2; do seq 1 1000 > "$WORK/in-$i.txt"; done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }
now_ms() { date +%s%3N; }
task_worker() { # base connector -> worker_id of its task when RUNNING, else empty
  curl -sf "$1/connectors/$2/status" 2>/dev/null | python3 -c 'import json,sys
try:
  t=json.load(sys.stdin)["tasks"]
  print(t[0]["worker_id"] if t and t[0]["state"]=="RUNNING" else "")
except Exception: print("")'
}
create() { # base i; retried: Kafka Connect answers 409 while its workers rebalance
  for _ in $(seq 1 300); do
    curl -sf -XPOST "$1/connectors" -H 'Content-Type: application/json' -d "{\"name\":\"src-$2\",\"config\":{
      \"connector.class\":\"org.apache.kafka.connect.file.FileStreamSourceConnector\",\"file\":\"$WORK/in-$2.txt\",
      \"topic\":\"failover-$2\",\"value.converter\":\"org.apache.kafka.connect.storage.StringConverter\"}}" \
      >/dev/null && return 0
    sleep 0.2
  done
  echo "could not create src-$2 on $1" >&2; return 1
}
# measure label port1 pid1 port2 pid2: kills the worker running src-1's task, times until it runs on the other
measure() {
  local label=$1 p1=$2 pid1=$3 p2=$4 pid2=$5 w victim_pid survivor start
  create "http://127.0.0.1:$p1" 1; create "http://127.0.0.1:$p1" 2
  for _ in $(seq 1 1200); do w=$(task_worker "http://127.0.0.1:$p1" src-1); [ -n "$w" ] && break; sleep 0.1; done
  sleep 3 # let both workers settle into their assignment before the kill
  w=$(task_worker "http://127.0.0.1:$p1" src-1)
  if [ "$w" = "127.0.0.1:$p1" ]; then victim_pid=$pid1; survivor=$p2; else victim_pid=$pid2; survivor=$p1; fi
  start=$(now_ms)
  kill -9 "$victim_pid"
  while true; do
    w=$(task_worker "http://127.0.0.1:$survivor" src-1)
    [ -n "$w" ] && [ "$w" = "127.0.0.1:$survivor" ] && break
    [ $(( $(now_ms) - start )) -gt 420000 ] && { echo "$label: not running again after 420 s"; return; }
    sleep 0.1
  done
  echo "$label load=$(cut -d' ' -f1 /proc/loadavg): task running again on the other worker $(( $(now_ms) - start )) ms after kill -9"
}
kafka() { # label extra-properties
  local label=$1 extra=$2 ports=() pids=() i
  "$ANCHOR/run-kafka.sh" start >/dev/null
  for i in 1 2; do
    ports[$i]=$(free_port)
    cat > "$WORK/worker-$i.properties" <<PROPS
bootstrap.servers=127.0.0.1:19092
group.id=failover-bench
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
config.storage.topic=failover-configs
offset.storage.topic=failover-offsets
status.storage.topic=failover-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
plugin.path=$WORK/plugins
listeners=http://127.0.0.1:${ports[$i]}
rest.advertised.host.name=127.0.0.1
rest.advertised.port=${ports[$i]}
offset.flush.interval.ms=1000
$extra
PROPS
    java -Xmx512m -Dlog4j2.configurationFile="$ANCHOR/tools-log4j2.properties" -cp "$LIB/*" \
      org.apache.kafka.connect.cli.ConnectDistributed "$WORK/worker-$i.properties" > "$WORK/connect-$label-$i.log" 2>&1 &
    pids[$i]=$!
    wait_http "http://127.0.0.1:${ports[$i]}/connectors"
  done
  measure "kafka-connect ($label)" "${ports[1]}" "${pids[1]}" "${ports[2]}" "${pids[2]}"
  kill "${pids[1]}" "${pids[2]}" 2>/dev/null || true; wait "${pids[1]}" "${pids[2]}" 2>/dev/null || true
  "$ANCHOR/run-kafka.sh" stop >/dev/null
}
sluice() { # label
  local label=$1 zk ports=() pids=() dirs=() i
  zk=$(free_port)
  for i in 1 2; do
    ports[$i]=$(free_port); dirs[$i]=$(mktemp -d /tmp/failover-sluice.XXXX)
    java -Xmx512m -jar "$JAR" --broker-id "$i" --http-port "${ports[$i]}" --data-dir "${dirs[$i]}" \
      --set http.host=127.0.0.1 --set cluster.host=127.0.0.1 --set zookeeper.embedded.port="$zk" \
      --set connect.file.allowed.paths="$WORK" > "$WORK/sluice-$label-$i.log" 2>&1 &
    pids[$i]=$!
    wait_http "http://127.0.0.1:${ports[$i]}/connectors"
  done
  # Broker 1 hosts the embedded ZooKeeper: only broker 2 may die here, so src-1 is moved onto it if needed.
  measure_sluice "sluice ($label)" "${ports[1]}" "${pids[1]}" "${ports[2]}" "${pids[2]}"
  kill "${pids[1]}" "${pids[2]}" 2>/dev/null || true; wait "${pids[1]}" "${pids[2]}" 2>/dev/null || true
  rm -rf "${dirs[1]}" "${dirs[2]}"
}
measure_sluice() {
  local label=$1 p1=$2 pid1=$3 p2=$4 pid2=$5 w c start
  create "http://127.0.0.1:$p1" 1; create "http://127.0.0.1:$p1" 2
  for _ in $(seq 1 1200); do
    [ -n "$(task_worker "http://127.0.0.1:$p1" src-1)" ] && [ -n "$(task_worker "http://127.0.0.1:$p1" src-2)" ] && break
    sleep 0.1
  done
  sleep 3 # let both brokers settle into their assignment before the kill
  c=src-1; [ "$(task_worker "http://127.0.0.1:$p1" src-1)" = "127.0.0.1:$p2" ] || c=src-2
  [ "$(task_worker "http://127.0.0.1:$p1" $c)" = "127.0.0.1:$p2" ] || { echo "$label: no task on broker 2"; return; }
  start=$(now_ms)
  kill -9 "$pid2"
  while true; do
    w=$(task_worker "http://127.0.0.1:$p1" $c)
    [ "$w" = "127.0.0.1:$p1" ] && break
    [ $(( $(now_ms) - start )) -gt 420000 ] && { echo "$label: not running again after 420 s"; return; }
    sleep 0.1
  done
  echo "$label load=$(cut -d' ' -f1 /proc/loadavg): task running again on the other worker $(( $(now_ms) - start )) ms after kill -9"
}
SIDES=${SIDES:-both}
[ "$SIDES" = both ] || [ "$SIDES" = sluice ] && sluice "zookeeper.session.timeout.ms 6000, default"
[ "$SIDES" = sluice ] && { rm -rf "$WORK"; exit 0; }
[ "$SIDES" = kafka-default ] || kafka "tuned: session.timeout.ms 6000, scheduled.rebalance.max.delay.ms 0" \
  "$(printf 'session.timeout.ms=6000\nheartbeat.interval.ms=2000\nscheduled.rebalance.max.delay.ms=0')"
kafka "defaults: session.timeout.ms 10000, scheduled.rebalance.max.delay.ms 300000" ""
rm -rf "$WORK"

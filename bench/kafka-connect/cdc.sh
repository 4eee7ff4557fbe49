#!/usr/bin/env bash
# Debezium's PostgreSQL connector (the plugin bundled under sluice-plugins/) run by Kafka Connect 4.1 in distributed
# mode against Apache Kafka (../shared/anchors/kafka) and by Sluice (one broker from the jar), alternating which goes
# first, each round fresh. The driver, io.sluice.connect.CdcBench (test classes), starts its own PostgreSQL, creates
# the same connector through each side's Kafka Connect REST API, and reports CDC changes per second under a
# saturating writer (transactions of 50 inserts + 50 updates) and the commit-to-record lag under a paced writer.
# Usage: bench/kafka-connect/cdc.sh [sluice.jar] [seconds] [paced-rate]   (project root, after mvn package and
# mvn test-compile; ROUNDS=2 by default; SIDES=sluice or SIDES=kafka runs one side only)
set -euo pipefail
JAR=${1:-target/sluice.jar}; SECONDS_PER_PHASE=${2:-15}; RATE=${3:-2000}; ROUNDS=${ROUNDS:-2}
ANCHOR=$(cd "$(dirname "$0")/../../../shared/anchors/kafka" && pwd)
LIB=${KAFKA_LIB:-/tmp/kafka-anchor-lib}
WORK=$(mktemp -d /tmp/cdc-bench.XXXX)
CP_FILE=$WORK/cp.txt
mvn -B -o -q dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test >/dev/null
CP="target/test-classes:target/classes:$(cat "$CP_FILE")"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }
driver() { java -Xmx512m -cp "$CP" io.sluice.connect.CdcBench "$@" "$SECONDS_PER_PHASE" "$RATE" 2>&1 | grep "changes committed"; }
kafka_round() {
  local r=$1 port
  "$ANCHOR/run-kafka.sh" start >/dev/null
  port=$(free_port)
  cat > "$WORK/worker.properties" <<PROPS
bootstrap.servers=127.0.0.1:19092
group.id=cdc-bench-$r
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
config.storage.topic=cdc-configs-$r
offset.storage.topic=cdc-offsets-$r
status.storage.topic=cdc-status-$r
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
plugin.path=$PWD/target/classes/sluice-plugins
listeners=http://127.0.0.1:$port
offset.flush.interval.ms=1000
PROPS
  java -Xmx1g -Dlog4j2.configurationFile="$ANCHOR/tools-log4j2.properties" -cp "$LIB/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$WORK/worker.properties" > "$WORK/connect-$r.log" 2>&1 &
  local pid=$!
  wait_http "http://127.0.0.1:$port/connectors"
  driver kafka "http://127.0.0.1:$port" 127.0.0.1:19092 | sed "s/^/round=$r /"
  kill $pid; wait $pid 2>/dev/null || true
  "$ANCHOR/run-kafka.sh" stop >/dev/null
}
sluice_round() {
  local r=$1 port zk dir
  port=$(free_port); zk=$(free_port); dir=$(mktemp -d /tmp/cdc-bench-sluice.XXXX)
  java -Xmx1g -jar "$JAR" --http-port "$port" --data-dir "$dir" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port="$zk" > "$WORK/sluice-$r.log" 2>&1 &
  local pid=$!
  wait_http "http://127.0.0.1:$port/ready"
  wait_http "http://127.0.0.1:$port/connectors"
  driver sluice "http://127.0.0.1:$port" "http://127.0.0.1:$port" \
    | sed "s/^/round=$r /"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
}
SIDES=${SIDES:-both}
[ "$SIDES" = sluice ] && kafka_round() { :; }
[ "$SIDES" = kafka ] && sluice_round() { :; }
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then kafka_round "$r"; sluice_round "$r"; else sluice_round "$r"; kafka_round "$r"; fi
done
rm -rf "$WORK"

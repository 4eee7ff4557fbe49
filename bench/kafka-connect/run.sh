#!/usr/bin/env bash
# The connect service against Kafka Connect 4.1 (distributed mode, one worker, against Apache Kafka from
# ../shared/anchors/kafka) on the same file-to-file flow: Kafka's own FileStreamSource reads N lines into a
# 1-partition topic, Kafka's FileStreamSink writes them to a file. Figure: lines per second from the moment both
# connectors are created until the sink file holds all N lines. Alternating, ROUNDS rounds (default 3).
# Usage: bench/kafka-connect/run.sh [sluice.jar] [lines]   (run from the project root, after mvn package)
# BEFORE_JAR=other-sluice.jar adds a round of that jar beside each Sluice round (before/after a change, alternating).
set -euo pipefail
JAR=${1:-target/sluice.jar}; N=${2:-200000}; ROUNDS=${ROUNDS:-3}
ANCHOR=$(cd "$(dirname "$0")/../../../shared/anchors/kafka" && pwd)
LIB=${KAFKA_LIB:-/tmp/kafka-anchor-lib}
WORK=$(mktemp -d /tmp/connect-bench.XXXX)
FILE_JAR=$(ls ~/.m2/repository/org/apache/kafka/connect-file/4.1.*/connect-file-4.1.*.jar | head -1)
mkdir -p "$WORK/plugins/file" && cp "$FILE_JAR" "$WORK/plugins/file/"
python3 - "$WORK/in.txt" "$N" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])):
        f.write(f"line-{i:010d}-" + "x" * 84 + "\n")
PY
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }
now_ms() { date +%s%3N; }
flow() { # base-url out-file tag
  local base=$1 out=$2 tag=$3 start lines
  start=$(now_ms)
  curl -sf -XPOST "$base/connectors" -H 'Content-Type: application/json' -d "{\"name\":\"src-$tag\",\"config\":{
    \"connector.class\":\"org.apache.kafka.connect.file.FileStreamSourceConnector\",\"file\":\"$WORK/in.txt\",
    \"topic\":\"lines-$tag\",\"key.converter\":\"org.apache.kafka.connect.storage.StringConverter\",
    \"value.converter\":\"org.apache.kafka.connect.storage.StringConverter\"}}" >/dev/null
  curl -sf -XPOST "$base/connectors" -H 'Content-Type: application/json' -d "{\"name\":\"sink-$tag\",\"config\":{
    \"connector.class\":\"org.apache.kafka.connect.file.FileStreamSinkConnector\",\"file\":\"$out\",
    \"topics\":\"lines-$tag\",\"key.converter\":\"org.apache.kafka.connect.storage.StringConverter\",
    \"value.converter\":\"org.apache.kafka.connect.storage.StringConverter\"}}" >/dev/null
  while true; do
    lines=$( [ -f "$out" ] && wc -l < "$out" || echo 0)
    [ "$lines" -ge "$N" ] && break
    [ $(( $(now_ms) - start )) -gt 600000 ] && { echo "timeout at $lines lines" >&2; break; }
    sleep 0.1
  done
  local ms=$(( $(now_ms) - start ))
  echo "$lines lines in $ms ms: $(( lines * 1000 / ms )) lines/s"
}
kafka_round() {
  local r=$1 port
  "$ANCHOR/run-kafka.sh" start >/dev/null
  port=$(free_port)
  cat > "$WORK/worker.properties" <<PROPS
bootstrap.servers=127.0.0.1:19092
group.id=bench-connect-$r
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
config.storage.topic=bench-configs-$r
offset.storage.topic=bench-offsets-$r
status.storage.topic=bench-status-$r
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
plugin.path=$WORK/plugins
listeners=http://127.0.0.1:$port
offset.flush.interval.ms=1000
PROPS
  java -Xmx1g -Dlog4j2.configurationFile="$ANCHOR/tools-log4j2.properties" -cp "$LIB/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$WORK/worker.properties" > "$WORK/connect-$r.log" 2>&1 &
  local pid=$!
  wait_http "http://127.0.0.1:$port/connectors"
  echo "kafka-connect round=$r load=$(cut -d' ' -f1 /proc/loadavg) $(flow "http://127.0.0.1:$port" "$WORK/out-kafka-$r.txt" k$r)"
  kill $pid; wait $pid 2>/dev/null || true
  "$ANCHOR/run-kafka.sh" stop >/dev/null
}
sluice_round() { # round [jar label]
  local r=$1 jar=${2:-$JAR} label=${3:-sluice} port zk dir
  port=$(free_port); zk=$(free_port); dir=$(mktemp -d /tmp/connect-bench-sluice.XXXX)
  java -Xmx1g -jar "$jar" --http-port "$port" --data-dir "$dir" --set http.host=127.0.0.1 \
    --set zookeeper.embedded.port="$zk" --set connect.file.allowed.paths="$WORK" > "$WORK/sluice-$r.log" 2>&1 &
  local pid=$!
  wait_http "http://127.0.0.1:$port/ready"
  wait_http "http://127.0.0.1:$port/connectors"
  echo "$label round=$r load=$(cut -d' ' -f1 /proc/loadavg) $(flow "http://127.0.0.1:$port" "$WORK/out-$label-$r.txt" s$r)"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$dir"
}
sluice_rounds() {
  if [ -z "${BEFORE_JAR:-}" ]; then sluice_round "$1"
  elif [ $(($1 % 2)) -eq 1 ]; then sluice_round "$1" "$BEFORE_JAR" sluice-before; sluice_round "$1"
  else sluice_round "$1"; sluice_round "$1" "$BEFORE_JAR" sluice-before; fi
}
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then kafka_round "$r"; sluice_rounds "$r"; else sluice_rounds "$r"; kafka_round "$r"; fi
done
rm -rf "$WORK"

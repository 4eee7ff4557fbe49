#!/usr/bin/env bash
# Kafka Streams 4.1 running the StreamsBench topology against an Apache Kafka broker (../shared/anchors/kafka starts
# one on 127.0.0.1:19092). Usage: ./run.sh BOOTSTRAP PARTITIONS RECORDS GUARANTEE LATENCY_RECORDS RATE
#   ./run.sh 127.0.0.1:19092 1 200000 at_least_once 5000 1000
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="${KAFKA_LIB:-/tmp/kafka-anchor-lib}"
STREAMS_JAR="$HOME/.m2/repository/org/apache/kafka/kafka-streams/4.1.0/kafka-streams-4.1.0.jar"
[[ -f "$STREAMS_JAR" ]] || mvn -q dependency:get -Dartifact=org.apache.kafka:kafka-streams:4.1.0
exec java -Xmx512m -cp "$STREAMS_JAR:$LIB/*" "$HERE/KafkaStreamsBench.java" "$@"

#!/usr/bin/env bash
# Kafka Streams 4.1 running the WindowedCountBench topology (1-minute tumbling windows, a count per key) against an
# Apache Kafka broker (../shared/anchors/kafka starts one on 127.0.0.1:19092).
# Usage: ./run-window.sh BOOTSTRAP PARTITIONS RECORDS KEYS MINUTES GUARANTEE
#   ./run-window.sh 127.0.0.1:19092 1 200000 10000 10 at_least_once
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="${KAFKA_LIB:-/tmp/kafka-anchor-lib}"
STREAMS_JAR="$HOME/.m2/repository/org/apache/kafka/kafka-streams/4.1.0/kafka-streams-4.1.0.jar"
[[ -f "$STREAMS_JAR" ]] || mvn -q dependency:get -Dartifact=org.apache.kafka:kafka-streams:4.1.0
# the windowed store is RocksDB: Kafka Streams 4.1.0's own rocksdbjni (the broker's lib does not carry it)
ROCKS_JAR="$HOME/.m2/repository/org/rocksdb/rocksdbjni/9.7.3/rocksdbjni-9.7.3.jar"
[[ -f "$ROCKS_JAR" ]] || mvn -q dependency:get -Dartifact=org.rocksdb:rocksdbjni:9.7.3
STREAMS_JAR="$STREAMS_JAR:$ROCKS_JAR"
# the source launcher compiles only the named file: put the shared helpers' class on the class path
OUT=/tmp/kwbench-classes; mkdir -p "$OUT"
javac -d "$OUT" -cp "$STREAMS_JAR:$LIB/*" "$HERE/KafkaStreamsBench.java" "$HERE/KafkaStreamsWindowBench.java"
exec java -Xmx512m -cp "$OUT:$STREAMS_JAR:$LIB/*" KafkaStreamsWindowBench "$@"

#!/bin/bash
# TLS cost (h-tls, 2026-12-05): one broker plain or with http.ssl.enable, perf produce then consume of 200,000 100-byte records; prints broker CPU ticks (1/100 s) per phase and the client JVM's user/sys seconds. Run under flock /tmp/sluice-bench.lock; needs broker.p12 / ca.pem / client.properties beside it (keytool).
# usage: run.sh plain|tls ; starts a broker, runs perf produce+consume, prints broker CPU ticks per phase and client CPU

MODE=$1; JAR=${JAR:-target/sluice.jar}; D=${TLS_COST_DIR:-/tmp/h-tls/bench}/$MODE-data; rm -rf $D; mkdir -p $D
EXTRA=""; SCHEME=http; CC=""
if [ $MODE = tls ]; then EXTRA="--set http.ssl.enable=true --set ssl.keystore.location=${TLS_COST_DIR:-/tmp/h-tls/bench}/broker.p12 --set ssl.keystore.password=benchpw"; SCHEME=https; CC="--command-config ${TLS_COST_DIR:-/tmp/h-tls/bench}/client.properties"; fi
java -Xmx1g -jar $JAR --data-dir $D --set broker.id=1 --set http.host=127.0.0.1 --set http.port=0 --set zookeeper.embedded.port=0 --set connect.enabled=false --set streams.enabled=false $EXTRA > $D.log 2>&1 &
BP=$!
until grep -q "Sluice broker 1 listening on" $D.log; do sleep 0.5; done
PORT=$(grep -o "Sluice broker 1 listening on https\?://[0-9.]*:[0-9]*" $D.log | sed 's/.*://')
URL=$SCHEME://localhost:$PORT
until grep -q "started in" $D.log; do sleep 0.5; done
t() { awk '{print $14+$15}' /proc/$BP/stat; }
N=200000
# warm-up
java -jar $JAR perf produce --bootstrap $URL --topic w --records 100000 --record-size 100 $CC >/dev/null 2>&1
c0=$(t); /usr/bin/time -f "%U %S" -o $D.pt java -jar $JAR perf produce --bootstrap $URL --topic t --records $N --record-size 100 $CC > $D.p 2>&1; c1=$(t)
/usr/bin/time -f "%U %S" -o $D.ct java -jar $JAR perf consume --bootstrap $URL --topic t --records $N $CC > $D.c 2>&1; c2=$(t)
kill $BP; wait $BP 2>/dev/null || true
head -3 $D.p; echo "$MODE produce broker_ticks=$((c1-c0)) client_s=$(cat $D.pt | tr '\n' ' ') | $(tail -1 $D.p)"
echo "$MODE consume broker_ticks=$((c2-c1)) client_s=$(cat $D.ct | tr '\n' ' ') | $(tail -1 $D.c)"
rm -rf $D

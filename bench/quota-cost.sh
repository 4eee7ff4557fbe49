#!/bin/bash
# CPU of the broker per 1,000 records: perf produce/consume with no quota (A) vs quotas far above the rate (B), alternated.
# Run under the bench lock: flock /tmp/sluice-bench.lock bench/quota-cost.sh (N records per run, PAIRS pairs).
set -u
JAR=${JAR:-target/sluice.jar}
N=${N:-300000}
PAIRS=${PAIRS:-3}
D=${DIR:-/tmp/sluice-quota-cost}; rm -rf $D; mkdir -p $D
java -Xmx1g -jar $JAR --data-dir $D/data --http-port 0 --set zookeeper.embedded.port=0 --set connect.enabled=false \
  --set streams.enabled=false > $D/broker.log 2>&1 &
BP=$!
for i in $(seq 1 120); do grep -q "Sluice broker 1 listening on" $D/broker.log && break; sleep 1; done
URL=$(grep "Sluice broker 1 listening on" $D/broker.log | grep -o "http://[0-9.]*:[0-9]*" | sed "s/0.0.0.0/127.0.0.1/")
echo "broker $BP at $URL"
ticks() { awk '{print $14+$15}' /proc/$BP/stat; }
HZ=$(getconf CLK_TCK)
setq() {
  curl -s -XPOST $URL/client-quotas:alter -H 'Content-Type: application/json' -d "{\"entries\":[{\"entity\":{\"client-id\":null},\"ops\":[{\"key\":\"producer_byte_rate\",$1},{\"key\":\"consumer_byte_rate\",$1},{\"key\":\"request_rate\",$1}]}]}"
}
run() { # label topic
  local t=$2
  curl -s -XPOST $URL/topics -H 'Content-Type: application/json' -d "{\"name\":\"$t\",\"partitions\":1}" > /dev/null
  local c0=$(ticks)
  java -Xmx512m -jar $JAR perf produce --bootstrap $URL --topic $t --records $N --record-size 100 --acks 1 > $D/$t.p.out 2>&1
  local c1=$(ticks)
  java -Xmx512m -jar $JAR perf consume --bootstrap $URL --topic $t --records $N > $D/$t.c.out 2>&1
  local c2=$(ticks)
  local load=$(cut -d' ' -f1 /proc/loadavg)
  echo "$1 produce_ms_per_1000=$(echo "scale=3; ($c1-$c0)*1000/$HZ/($N/1000)" | bc) consume_ms_per_1000=$(echo "scale=3; ($c2-$c1)*1000/$HZ/($N/1000)" | bc) load=$load $(tail -1 $D/$t.p.out | cut -c1-60)"
}
run warm warm0
for p in $(seq 1 $PAIRS); do
  run "A(none)" a$p
  setq '"value":1e12' ; sleep 1
  curl -s "$URL/client-quotas" | head -c 300; echo
  run "B(quota)" b$p
  setq '"remove":true' ; sleep 1
done
kill $BP; wait $BP 2>/dev/null
rm -rf $D/data

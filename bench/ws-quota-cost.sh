#!/bin/bash
# Broker CPU per 1,000 records over WebSocket produce and consume: with no quota set (A), and with quotas far above
# the rate (B: every message and frame counted, none held). Run once per jar, alternating jars, under the bench lock:
# JAR=target/sluice.jar flock /tmp/sluice-bench.lock bench/ws-quota-cost.sh (M messages of 10 records, PAIRS pairs).
set -u
JAR=${JAR:-target/sluice.jar}
M=${M:-20000}
PAIRS=${PAIRS:-2}
QUOTA=${QUOTA:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
D=${DIR:-/tmp/sluice-ws-quota-cost}; rm -rf $D; mkdir -p $D
java -Xmx1g -jar $JAR --data-dir $D/data --http-port 0 --set zookeeper.embedded.port=0 --set connect.enabled=false \
  --set streams.enabled=false > $D/broker.log 2>&1 &
BP=$!
for i in $(seq 1 120); do grep -q "Sluice broker 1 listening on" $D/broker.log && break; sleep 1; done
URL=$(grep "Sluice broker 1 listening on" $D/broker.log | grep -o "http://[0-9.]*:[0-9]*" | sed "s/0.0.0.0/127.0.0.1/")
echo "broker $BP at $URL ($JAR)"
ticks() { awk '{print $14+$15}' /proc/$BP/stat; }
HZ=$(getconf CLK_TCK)
setq() {
  curl -s -XPOST $URL/client-quotas:alter -H 'Content-Type: application/json' -d "{\"entries\":[{\"entity\":{\"client-id\":null},\"ops\":[{\"key\":\"producer_byte_rate\",$1},{\"key\":\"consumer_byte_rate\",$1},{\"key\":\"request_rate\",$1}]}]}"
}
run() { # label topic
  local t=$2 n=$((M * 10))
  curl -s -XPOST $URL/topics -H 'Content-Type: application/json' -d "{\"name\":\"$t\",\"partitions\":1}" > /dev/null
  local c0=$(ticks)
  node --experimental-websocket --no-warnings $HERE/ws-stream.mjs produce $URL $t $M > $D/$t.p.out 2>&1
  local c1=$(ticks)
  node --experimental-websocket --no-warnings $HERE/ws-stream.mjs consume $URL $t $n > $D/$t.c.out 2>&1
  local c2=$(ticks)
  echo "$1 produce_ms_per_1000=$(echo "scale=3; ($c1-$c0)*1000/$HZ/($n/1000)" | bc)" \
    "consume_ms_per_1000=$(echo "scale=3; ($c2-$c1)*1000/$HZ/($n/1000)" | bc) load=$(cut -d' ' -f1 /proc/loadavg)" \
    "$(cat $D/$t.p.out) $(cat $D/$t.c.out)"
}
run warm warm0
for p in $(seq 1 $PAIRS); do
  run "A(none)" a$p
  if [ "$QUOTA" = 1 ]; then
    setq '"value":1e12' > /dev/null; sleep 1
    run "B(quota)" b$p
    setq '"remove":true' > /dev/null; sleep 1
  fi
done
kill $BP; wait $BP 2>/dev/null
rm -rf $D

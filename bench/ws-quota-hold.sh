#!/bin/bash
# Whether a WebSocket producer and consumer over their quota are held near it: produce M messages of 10 records of
# 100 bytes and read them back, with producer_byte_rate and consumer_byte_rate RATE for every client id; prints the
# wall time, the rate achieved and how many replies carried a throttle time. Wall time is the point here (a benchmark,
# never a test). Run under the bench lock: flock /tmp/sluice-bench.lock bench/ws-quota-hold.sh
set -u
JAR=${JAR:-target/sluice.jar}
M=${M:-400}
RATE=${RATE:-100000}
HERE=$(cd "$(dirname "$0")" && pwd)
D=${DIR:-/tmp/sluice-ws-quota-hold}; rm -rf $D; mkdir -p $D
java -Xmx1g -jar $JAR --data-dir $D/data --http-port 0 --set zookeeper.embedded.port=0 --set connect.enabled=false \
  --set streams.enabled=false > $D/broker.log 2>&1 &
BP=$!
for i in $(seq 1 120); do grep -q "Sluice broker 1 listening on" $D/broker.log && break; sleep 1; done
URL=$(grep "Sluice broker 1 listening on" $D/broker.log | grep -o "http://[0-9.]*:[0-9]*" | sed "s/0.0.0.0/127.0.0.1/")
curl -s -XPOST $URL/topics -H 'Content-Type: application/json' -d '{"name":"held","partitions":1}' > /dev/null
curl -s -XPOST $URL/client-quotas:alter -H 'Content-Type: application/json' -d "{\"entries\":[{\"entity\":{\"client-id\":null},\"ops\":[{\"key\":\"producer_byte_rate\",\"value\":$RATE},{\"key\":\"consumer_byte_rate\",\"value\":$RATE}]}]}"
sleep 1
BYTES=$(node -e "console.log(JSON.stringify({records: Array.from({length: 10}, () => ({value: 'x'.repeat(100)}))}).length)")
t0=$(date +%s.%N)
node --experimental-websocket --no-warnings $HERE/ws-stream.mjs produce $URL held $M > $D/p.out 2>&1
t1=$(date +%s.%N)
node --experimental-websocket --no-warnings $HERE/ws-stream.mjs consume $URL held $((M * 10)) > $D/c.out 2>&1
t2=$(date +%s.%N)
echo "quota=$RATE B/s produce: $(cat $D/p.out) $(echo "scale=2; $t1-$t0" | bc) s," \
  "$(echo "$M*$BYTES/($t1-$t0)" | bc) B/s of message bodies; load=$(cut -d' ' -f1 /proc/loadavg)"
echo "consume: $(cat $D/c.out) $(echo "scale=2; $t2-$t1" | bc) s"
curl -s $URL/metrics | grep "^sluice_client_quota_throttle_time" | cut -c1-200
kill $BP; wait $BP 2>/dev/null
rm -rf $D

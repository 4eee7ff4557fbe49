#!/usr/bin/env bash
# The "hostile client" reproduction for answers built in the heap (h-ans, 2026-12-04): a 512 MB broker, a topic
# with ~20 MB of records, then N concurrent JSON fetches with max_bytes=16 MiB (and, with POLL=1, N consumer polls)
# while /health is probed. Prints the status counts, OutOfMemoryErrors in the log, whether every 200 is valid JSON
# with offsets contiguous from the asked offset, and the /health answers during the attack.
# With RETRY=1 each client retries a 503 after its Retry-After (up to 60 times), as a well-behaved client does.
# Usage: JAR=target/sluice.jar N=60 [RETRY=1] bench/answer-memory-attack.sh
set -euo pipefail
JAR="${JAR:-target/sluice.jar}"; N="${N:-60}"; W="${W:-/tmp/h-ans/attack}"
cd "$(dirname "$0")/.."; source bench/broker-url.sh
rm -rf "$W"; mkdir -p "$W/out"
java -Xmx512m -jar "$JAR" --http-port 0 --data-dir "$W/data" --set zookeeper.embedded.port=0 \
  --set http.host=127.0.0.1 >"$W/broker.log" 2>&1 &
PID=$!; trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
URL="$(sluice_url "$W/broker.log" "$PID")"
curl -sf -XPOST "$URL/topics" -H 'Content-Type: application/json' -d '{"name":"t","partitions":1,"replication_factor":1}' >/dev/null
# 2,000 records of 10 KB of control bytes (60 KB each as JSON), 80 a request (one batch under max.message.bytes):
# ~20 MB of batches
python3 - "$URL" <<'PY'
import base64, json, sys, urllib.request
url = sys.argv[1]
val = base64.b64encode(b"\x01" * 10000).decode()  # control bytes: JSON escapes each as \u0001, 6x
for i in range(25):
    body = json.dumps({"records": [{"value": val} for j in range(80)]}).encode()
    req = urllib.request.Request(url + "/topics/t/partitions/0", data=body, method="POST",
                                 headers={"Content-Type": "application/vnd.kafka.binary.v2+json"})
    urllib.request.urlopen(req).read()
PY
echo "filled: $(curl -s "$URL/topics/t/partitions/0/offsets")"
( for i in $(seq 1 40); do curl -s -m 5 -o /dev/null -w '%{http_code} ' "$URL/health" || echo -n 'ERR '; sleep 0.25; done; echo ) >"$W/health" &
HP=$!
PIDS=()
fetch_one() {
  local i="$1" tries=0
  while :; do
    curl -s -m 120 -D "$W/out/$i.h" -o "$W/out/$i.body" -w '%{http_code}\n' \
      -H 'Accept: application/vnd.kafka.json.v2+json' \
      "$URL/topics/t/partitions/0/records?offset=0&max_bytes=16777216" >"$W/out/$i.code" 2>/dev/null || true
    tries=$((tries + 1))
    [[ "${RETRY:-0}" == 1 && "$(cat "$W/out/$i.code")" == 503 && $tries -lt 60 ]] || break
    sleep 1 # the answer's Retry-After
  done
  echo "$tries" >"$W/out/$i.tries"
}
START=$SECONDS
for i in $(seq 1 "$N"); do
  fetch_one "$i" &
  PIDS+=($!)
done
wait "${PIDS[@]}" || true
wait $HP || true
echo "status: $(cat "$W"/out/*.code | sort | uniq -c | tr '\n' ' ')in $((SECONDS - START)) s;" \
  "tries per client: $(cat "$W"/out/*.tries | sort -n | uniq -c | tr '\n' ' ')"
echo "OOMs in log: $(grep -c OutOfMemoryError "$W/broker.log" || true)"
echo "health during attack: $(tr ' ' '\n' <"$W/health" | sort | uniq -c | tr '\n' ' ')"
python3 - "$W/out" <<'PY'
import json, os, sys
d = sys.argv[1]; ok = bad = 0; sizes = []; counts = []
for f in os.listdir(d):
    if not f.endswith(".code"): continue
    n = f[:-5]
    if open(os.path.join(d, f)).read().strip() != "200": continue
    try:
        recs = json.load(open(os.path.join(d, n + ".body")))
        offs = [r["offset"] for r in recs]
        assert offs == list(range(len(offs))), "offsets not contiguous from 0"
        hdr = open(os.path.join(d, n + ".h")).read().lower()
        nxt = int([l for l in hdr.splitlines() if l.startswith("sluice-next-offset")][0].split(":")[1])
        assert nxt == len(offs), f"next offset {nxt} != {len(offs)}"
        ok += 1; counts.append(len(offs)); sizes.append(os.path.getsize(os.path.join(d, n + ".body")))
    except Exception as e:
        bad += 1; print("invalid answer", n, e)
print(f"200s valid: {ok}, invalid: {bad}; records per answer min/max {min(counts, default=0)}/{max(counts, default=0)};"
      f" MB per answer min/max {min(sizes, default=0)/1e6:.1f}/{max(sizes, default=0)/1e6:.1f}")
PY
grep -h "error_code" "$W"/out/*.body 2>/dev/null | head -3 || true

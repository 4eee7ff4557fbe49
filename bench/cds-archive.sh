#!/usr/bin/env bash
# Makes a class data sharing archive (AppCDS, JDK 13+) for a Sluice jar: starts a broker once with
# -XX:ArchiveClassesAtExit (embedded ZooKeeper, a throwaway data directory, free ports), waits for GET /ready to
# answer 200, stops it with SIGTERM, and the JVM writes every class it loaded into the archive as it exits. Later
# starts with -XX:SharedArchiveFile=ARCHIVE map those classes instead of loading and verifying them from the jar,
# which is most of a start's CPU (about 6,600 classes; see docs/benchmarks.md, issue 16 third session).
#   bench/cds-archive.sh [sluice.jar] [archive]        then: java -XX:SharedArchiveFile=ARCHIVE -jar sluice.jar ...
# The archive holds the jar's path, size and time: a rebuilt or moved jar needs a new one (with another jar the JVM
# says so once and starts without it). Same JDK for making and using it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$(realpath "${1:-$HERE/../target/sluice.jar}")"
ARCHIVE="$(realpath -m "${2:-${JAR%.jar}.jsa}")"
DIR="$(mktemp -d /tmp/sluice-cds.XXXXXX)"
PID=""
trap 'if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$DIR"' EXIT
rm -f "$ARCHIVE"
java -Xmx1g -XX:ArchiveClassesAtExit="$ARCHIVE" -Xlog:cds=off -Xlog:cds+dynamic=info -jar "$JAR" \
  --data-dir "$DIR/data" --http-port 0 --set http.host=127.0.0.1 --set zookeeper.embedded.port=0 > "$DIR/log" 2>&1 &
PID=$!
url=""
for _ in $(seq 1 1200); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$DIR/log" | head -1 | sed 's/listening on //' || true)"
  [[ -n "$url" ]] && curl -sf -o /dev/null "$url/ready" && break
  kill -0 "$PID" 2>/dev/null || { cat "$DIR/log"; echo "the broker exited before it was ready" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$DIR/log"; echo "the broker was not ready within 120 s" >&2; exit 1; }
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=""
[[ -s "$ARCHIVE" ]] || { cat "$DIR/log"; echo "no archive was written" >&2; exit 1; }
echo "wrote $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)); start with: java -XX:SharedArchiveFile=$ARCHIVE -jar $JAR ..."

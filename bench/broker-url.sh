# Sourced by the bench scripts. sluice_url LOG PID [TIMEOUT_S]: waits until the broker whose output goes to LOG
# answers GET /ready and prints its address. The address is read again at every try: a read can catch the
# "listening on" line half written, and a port cut short would be polled for good (bench/startup.sh once did).
# An https:// listener (http.ssl.enable=true) is probed without checking its certificate (-k): this asks a broker on
# this machine whether it is ready, and the scripts' key stores are self-signed.
sluice_url() {
  local log="$1" pid="$2" limit="${3:-120}" url=""
  local deadline=$(( SECONDS + limit ))
  until url="$(grep -o 'listening on https\?://[0-9.:]*' "$log" 2>/dev/null | head -1 | sed 's/.* //' || true)" \
      && [[ -n "$url" ]] && curl -skf -m 2 -o /dev/null "$url/ready"; do
    kill -0 "$pid" 2>/dev/null || { echo "broker $pid exited; see $log" >&2; return 1; }
    (( SECONDS < deadline )) || { echo "broker $pid not ready after $limit s; see $log" >&2; return 1; }
    sleep 0.05
  done
  echo "$url"
}

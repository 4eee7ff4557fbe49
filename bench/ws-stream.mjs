// Drives a broker's WebSocket streams for bench/ws-quota-cost.sh (node --experimental-websocket, Node 20+).
// node ws-stream.mjs produce URL TOPIC MESSAGES   -> MESSAGES messages of 10 records of 100 bytes, 16 in flight
// node ws-stream.mjs consume URL TOPIC RECORDS    -> reads RECORDS records from offset 0 under credit
const [mode, url, topic, countArg] = process.argv.slice(2);
const count = Number(countArg);
const base = url.replace(/^http/, 'ws');
const value = 'x'.repeat(100);
const body = JSON.stringify({ records: Array.from({ length: 10 }, () => ({ value })) });

function produce() {
  const ws = new WebSocket(`${base}/ws/produce?topic=${topic}`);
  let sent = 0, replied = 0, throttled = 0;
  const pump = () => { while (sent < count && sent - replied < 16) { ws.send(body); sent++; } };
  ws.onopen = pump;
  ws.onmessage = (e) => {
    const r = JSON.parse(e.data);
    if (!r.offsets) { console.error('error reply', e.data); process.exit(1); }
    if (r.throttle_time_ms > 0) throttled++;
    if (++replied === count) { console.log(`replies=${replied} throttled=${throttled}`); ws.close(); }
    else pump();
  };
  ws.onerror = (e) => { console.error('socket error', e.message); process.exit(1); };
}

function consume() {
  const ws = new WebSocket(`${base}/ws/consume?topic=${topic}&partition=0&offset=0`);
  let got = 0, frames = 0, throttled = 0;
  ws.onopen = () => ws.send(JSON.stringify({ credit: count }));
  ws.onmessage = (e) => {
    const f = JSON.parse(e.data);
    if (!f.records) { console.error('frame', e.data); process.exit(1); }
    got += f.records.length; frames++;
    if (f.throttle_time_ms > 0) throttled++;
    if (got >= count) { console.log(`records=${got} frames=${frames} throttled=${throttled}`); ws.close(); }
  };
  ws.onerror = (e) => { console.error('socket error', e.message); process.exit(1); };
}

(mode === 'produce' ? produce : consume)();

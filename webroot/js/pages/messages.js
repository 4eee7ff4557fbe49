import {h, table, clear, num} from '../dom.js';
import {api, enc, toBase64, fromBase64} from '../api.js';
import {tabs} from './topic.js';
import {showError, notice} from '../app.js';
import {parseLines} from './topics.js';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const PAGE_BYTES = 256 * 1024;
const SCAN_LIMIT = 10000;
const TAIL_ROWS = 500;

/**
 * Browse a partition from the beginning, the end, an offset or a time; search keys and values for text; tail it
 * live (Server-Sent Events); produce a record. The position is in the address, so a view can be shared.
 */
export async function render(main, name, params) {
  const t = await api('/topics/' + enc(name));
  const f = controls(t, params);
  const out = h('section', {id: 'messages', 'aria-live': 'polite'});
  main.append(h('h1', {}, 'Topic ', h('span', {class: 'mono'}, name)), tabs(name, 'messages'), f.form, out, produceForm(t));
  let tail = null;
  const stopTail = () => { if (tail) { tail.close(); tail = null; } f.tailButton.textContent = 'Live tail'; f.tailButton.setAttribute('aria-pressed', 'false'); };
  f.form.addEventListener('submit', e => {
    e.preventDefault();
    stopTail();
    const q = new URLSearchParams(f.values());
    history.replaceState(null, '', `#/topics/${enc(name)}/messages?${q}`);
    browse(name, f.values(), out).catch(showError);
  });
  f.tailButton.addEventListener('click', () => {
    if (tail) { stopTail(); return; }
    tail = startTail(name, f.values(), out);
    f.tailButton.textContent = 'Stop tail';
    f.tailButton.setAttribute('aria-pressed', 'true');
  });
  if (params.get('tail') === '1') f.tailButton.click(); else await browse(name, f.values(), out);
  return stopTail;
}

function controls(t, params) {
  const partition = h('select', {id: 'msg-partition', 'aria-label': 'Partition'},
    t.partitions.map(p => h('option', {value: String(p.partition)}, 'Partition ' + p.partition)));
  partition.value = params.get('partition') || '0';
  const from = h('select', {id: 'msg-from', 'aria-label': 'Start'}, ['end', 'beginning', 'offset', 'time'].map(v =>
    h('option', {value: v}, {end: 'Newest', beginning: 'Oldest', offset: 'From offset', time: 'From time'}[v])));
  from.value = params.get('from') || 'end';
  const offset = h('input', {id: 'msg-offset', type: 'number', min: 0, value: params.get('offset') || '0', 'aria-label': 'Offset'});
  const time = h('input', {id: 'msg-time', type: 'datetime-local', value: params.get('time') || '', 'aria-label': 'Time'});
  const count = h('input', {id: 'msg-count', type: 'number', min: 1, max: 1000, value: params.get('count') || '50', 'aria-label': 'Records'});
  const search = h('input', {id: 'msg-search', type: 'search', value: params.get('q') || '', placeholder: 'Key or value contains…', 'aria-label': 'Search'});
  const format = h('select', {id: 'msg-format', 'aria-label': 'Show values as'},
    ['auto', 'json', 'text', 'hex'].map(v => h('option', {value: v}, v === 'auto' ? 'Auto' : v.toUpperCase())));
  format.value = params.get('format') || 'auto';
  const tailButton = h('button', {type: 'button', id: 'tail-toggle', 'aria-pressed': 'false'}, 'Live tail');
  const sync = () => { offset.hidden = from.value !== 'offset'; time.hidden = from.value !== 'time'; };
  from.addEventListener('change', sync);
  sync();
  const form = h('form', {id: 'browse', class: 'toolbar wrap'}, partition, from, offset, time,
    h('label', {}, 'Show ', count), search, format, h('button', {type: 'submit', id: 'msg-load'}, 'Load'), tailButton);
  const values = () => ({partition: partition.value, from: from.value, offset: offset.value, time: time.value,
    count: count.value, q: search.value, format: format.value});
  return {form, tailButton, values};
}

async function browse(name, v, out) {
  const base = `/topics/${enc(name)}/partitions/${v.partition}`;
  const range = await api(base + '/offsets');
  const count = Math.max(1, Math.min(1000, Number(v.count) || 50));
  let start = range.beginning_offset;
  if (v.from === 'end') start = Math.max(range.beginning_offset, range.end_offset - (v.q ? SCAN_LIMIT : count));
  if (v.from === 'offset') start = Math.min(Math.max(range.beginning_offset, Number(v.offset) || 0), range.end_offset);
  if (v.from === 'time') {
    const ms = v.time ? new Date(v.time).getTime() : 0;
    const found = await api(`${base}/offsets?timestamp=${ms}`);
    start = found.offset === null ? range.end_offset : found.offset;
  }
  const needle = v.q.trim().toLowerCase();
  const matches = [];
  let scanned = 0;
  let position = start;
  while (position < range.end_offset && scanned < SCAN_LIMIT && (v.from === 'end' && needle ? true : matches.length < count)) {
    const page = await api(`${base}/records?offset=${position}&timeout=0&max_bytes=${PAGE_BYTES}`, {accept: BINARY});
    if (!page.length) break;
    for (const r of page) {
      scanned++;
      if (!needle || contains(r, needle)) matches.push(r);
    }
    position = page[page.length - 1].offset + 1;
  }
  const shown = v.from === 'end' ? matches.slice(-count).reverse() : matches.slice(0, count);
  clear(out).append(
    h('p', {class: 'muted'}, `Partition ${v.partition}: offsets ${num(range.beginning_offset)} to ${num(range.end_offset)}. `,
      needle ? `${num(matches.length)} match(es) for "${v.q}" in ${num(scanned)} record(s) scanned.` : `${num(shown.length)} record(s).`),
    recordsTable(shown, v.format));
}

function contains(r, needle) {
  return [r.key, r.value].some(b => {
    const bytes = fromBase64(b);
    return bytes && new TextDecoder().decode(bytes).toLowerCase().includes(needle);
  });
}

function startTail(name, v, out) {
  const rows = recordsTable([], v.format);
  const tbody = rows.querySelector('tbody');
  clear(out).append(h('p', {class: 'muted', id: 'tail-status'}, `Live tail of partition ${v.partition}: new records appear at the top.`), rows);
  const source = new EventSource(`/topics/${enc(name)}/partitions/${v.partition}/events?format=binary`);
  source.onmessage = e => {
    const r = JSON.parse(e.data);
    const row = recordRow(r, v.format);
    row.dataset.arrived = String(Date.now());
    tbody.prepend(row);
    while (tbody.rows.length > TAIL_ROWS) tbody.deleteRow(-1);
  };
  source.addEventListener('error', e => {
    if (e.data) showError(new Error(JSON.parse(e.data).message));
  });
  return source;
}

function recordsTable(records, format) {
  const t = table(['Offset', 'Time', 'Key', 'Value', 'Headers'], [], {id: 'messages-table'});
  const tbody = t.querySelector('tbody');
  records.forEach(r => tbody.append(recordRow(r, format)));
  return t;
}

function recordRow(r, format) {
  const headers = (r.headers || []).map(x => h('div', {class: 'mono'}, x.key, '=', decode(fromBase64(x.value), 'auto')));
  return h('tr', {dataset: {offset: String(r.offset), timestamp: String(r.timestamp)}},
    h('td', {class: 'mono'}, String(r.offset)),
    h('td', {class: 'mono nowrap'}, new Date(r.timestamp).toISOString().replace('T', ' ').replace('Z', '')),
    h('td', {}, h('pre', {}, decode(fromBase64(r.key), format))),
    h('td', {}, h('pre', {}, decode(fromBase64(r.value), format))),
    h('td', {}, headers.length ? headers : '—'));
}

/** Bytes shown as pretty JSON, text or hex; auto picks JSON if it parses, text if UTF-8, hex otherwise. */
export function decode(bytes, format) {
  if (bytes === null) return 'null';
  const hex = () => Array.from(bytes, b => b.toString(16).padStart(2, '0')).join(' ');
  if (format === 'hex') return hex();
  let text;
  try { text = new TextDecoder('utf-8', {fatal: true}).decode(bytes); } catch { return format === 'auto' ? hex() : '(not UTF-8) ' + hex(); }
  if (format === 'text') return text;
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return format === 'json' ? '(not JSON) ' + text : text; }
}

function produceForm(t) {
  const partition = h('select', {id: 'produce-partition', 'aria-label': 'Partition'}, h('option', {value: ''}, 'By key'),
    t.partitions.map(p => h('option', {value: String(p.partition)}, 'Partition ' + p.partition)));
  const key = h('input', {id: 'produce-key', autocomplete: 'off'});
  const value = h('textarea', {id: 'produce-value', rows: 3});
  const headers = h('textarea', {id: 'produce-headers', rows: 2, placeholder: 'source=web'});
  const form = h('form', {id: 'produce', class: 'panel'}, h('h2', {}, 'Produce a record'),
    h('div', {class: 'fields'}, h('label', {}, 'Partition', partition), h('label', {}, 'Key (empty: none)', key),
      h('label', {class: 'wide'}, 'Value', value), h('label', {class: 'wide'}, 'Headers (key=value per line)', headers)),
    h('button', {type: 'submit', id: 'produce-submit'}, 'Produce'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const record = {key: key.value === '' ? null : toBase64(key.value), value: toBase64(value.value),
        headers: Object.entries(parseLines(headers.value)).map(([k, v]) => ({key: k, value: toBase64(v)}))};
      if (partition.value !== '') record.partition = Number(partition.value);
      const res = await api('/topics/' + enc(t.name), {method: 'POST', body: {records: [record]}, contentType: BINARY});
      const o = res.offsets[0];
      if (o.error) throw new Error(o.error);
      notice(`Produced to partition ${o.partition} at offset ${o.offset}`);
    } catch (err) { showError(err); }
  });
  return form;
}

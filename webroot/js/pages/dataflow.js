import {h, table} from '../dom.js';
import {api, enc, hasApi} from '../api.js';
import {dagGraph, redrawKeeping} from '../graph.js';

/**
 * The cluster's data flow (#/dataflow): which topics feed which streams and connectors, and where they write,
 * composed from GET /streams/{name}/topology (sources and sinks, internal topics left out) and Kafka Connect's
 * GET /connectors?expand=info with each connector's active topics (KIP-558) and its configured ones.
 */
export async function render(main) {
  const box = h('div', {id: 'dataflow'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('h1', {}, 'Data flow'), h('p', {class: 'legend'},
    'Topics (pills) feed streams and sink connectors; streams and source connectors write topics. ',
    'Enter on a stream opens its topology.'), box);
  async function refresh() {
    const flows = [...await streamFlows(), ...await connectorFlows()];
    const nodes = new Map();
    const edges = [];
    for (const f of flows) {
      nodes.set(f.app.id, f.app);
      for (const t of f.reads) edges.push([topic(nodes, t), f.app.id, '']);
      for (const t of f.writes) edges.push([f.app.id, topic(nodes, t.name, t.deadLetter), t.deadLetter ? 'dead-letter' : '']);
    }
    redrawKeeping(box, flows.length
      ? h('figure', {class: 'graph'}, dagGraph('dataflow', 'Data flow between topics, streams and connectors',
        [...nodes.values()], edges),
      table(['Reads', 'Through', 'Writes'], flows.map(f => [f.reads.join(', ') || '—', f.app.title,
        f.writes.map(w => w.name).join(', ') || '—']), {id: 'dataflow-table'}))
      : h('p', {class: 'muted', id: 'dataflow-table'}, 'No streams or connectors yet.'));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 10000);
  return () => clearInterval(timer);
}

function topic(nodes, name, deadLetter) {
  const id = 'topic:' + name;
  if (!nodes.has(id)) nodes.set(id, {id, kind: 'topic', label: name, title: `Topic ${name}`, href: `#/topics/${enc(name)}`});
  if (deadLetter) Object.assign(nodes.get(id), {kind: 'topic dead-letter', title: `Topic ${name} (dead letters)`});
  return id;
}

async function streamFlows() {
  const list = await api('/streams');
  const topologies = await Promise.all(list.map(s => api(`/streams/${enc(s.name)}/topology`).catch(() => null)));
  return list.map((s, i) => {
    const reads = new Set(), writes = new Map();
    for (const sub of (topologies[i] || {subtopologies: []}).subtopologies) {
      for (const n of sub.nodes) {
        if (n.type === 'source' && n.role !== 'repartition') n.topics.forEach(t => reads.add(t));
        if (n.type === 'sink' && n.role !== 'repartition') writes.set(n.topic, {name: n.topic, deadLetter: n.role === 'dead_letter'});
      }
    }
    return {app: {id: 'stream:' + s.name, kind: 'stream', label: s.name, line: `stream · ${s.state}`,
      title: `Stream ${s.name} (${s.state})`, href: `#/streams/${enc(s.name)}`},
    reads: [...reads], writes: [...writes.values()]};
  });
}

async function connectorFlows() {
  if (!await hasApi('/connectors')) return [];
  const all = await api('/connectors?expand=info&expand=status');
  return Promise.all(Object.keys(all).sort().map(async name => {
    const info = all[name].info || {config: {}}, config = info.config || {};
    const state = ((all[name].status || {}).connector || {}).state || '';
    const active = await api(`/connectors/${enc(name)}/topics`).then(r => (r[name] || {}).topics || [], () => []);
    const sink = info.type === 'sink';
    const configured = (sink ? config.topics : config.topic || config.topics || '').split(',').map(t => t.trim())
      .filter(Boolean);
    const topics = [...new Set([...configured, ...active])];
    return {app: {id: 'connector:' + name, kind: 'connector', label: name, line: `${info.type || ''} connector · ${state}`,
      title: `${sink ? 'Sink' : 'Source'} connector ${name} (${state})`, href: '#/connectors'},
    reads: sink ? topics : [], writes: sink ? [] : topics.map(t => ({name: t}))};
  }));
}

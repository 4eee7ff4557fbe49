import {h, table, num} from '../dom.js';
import {api, enc} from '../api.js';
import {dagGraph, redrawKeeping} from '../graph.js';

/**
 * One stream's topology (#/streams/{name}): each sub-topology drawn from GET /streams/{name}/topology, with its
 * stores, internal topics and dead-letter sink marked and its sources' live figures; a table of the nodes for
 * readers who cannot see the drawing; and Kafka's text form, to paste into tools that read it.
 */
export async function render(main, name) {
  const box = h('div', {id: 'topology'}, h('p', {class: 'muted'}, 'Loading…'));
  const text = h('pre', {class: 'mono', id: 'topology-text'});
  main.append(h('h1', {}, 'Stream ', h('span', {class: 'mono'}, name)),
    h('p', {}, h('a', {href: '#/streams'}, 'All streams'), ' · ', h('a', {href: '#/dataflow'}, 'Data flow')),
    h('p', {class: 'legend'}, 'Pills are topics read or written; dotted ones are the stream\'s internal topics; ',
      'thick boxes are state stores; red marks the dead-letter topic. Tab moves through the nodes.'),
    box, h('details', {}, h('summary', {}, 'Kafka\'s text form (Topology#describe())'), text));
  async function refresh() {
    const [topo, kafkaText] = await Promise.all([api(`/streams/${enc(name)}/topology`),
      api(`/streams/${enc(name)}/topology?format=text`, {accept: 'text/plain'})]);
    text.textContent = kafkaText;
    redrawKeeping(box, h('p', {}, `Version ${topo.version}`), ...topo.subtopologies.map(sub => subtopology(topo, sub)));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

function subtopology(topo, sub) {
  const internal = new Set(topo.internal_topics.map(t => t.topic));
  const nodes = [], edges = [];
  for (const n of sub.nodes) {
    nodes.push(drawn(n, internal));
    n.successors.forEach(s => edges.push([n.name, s, sub.nodes.find(x => x.name === s).role === 'dead_letter'
      ? 'dead-letter' : '']));
  }
  for (const store of topo.stores) {
    const users = store.processors.filter(p => sub.nodes.some(n => n.name === p));
    if (!users.length) continue;
    nodes.push({id: 'store:' + store.name, kind: 'store', label: `${store.name} (${store.kind})`,
      line: 'changelog ' + store.changelog_topic,
      title: `State store ${store.name}, ${store.kind}, changelog topic ${store.changelog_topic}`});
    users.forEach(p => edges.push([p, 'store:' + store.name, 'store']));
  }
  const f = sub.figures || {};
  const caption = `Sub-topology ${sub.id}: tasks ${num(f.tasks)}, records in ${num(f.records_in)}, ` +
    `out ${num(f.records_out)}, lag ${num(f.lag)}, errors ${num(f.errors)}`;
  return h('figure', {class: 'graph', 'data-subtopology': sub.id},
    h('figcaption', {}, caption),
    dagGraph('topology', `Sub-topology ${sub.id} of the stream`, nodes, edges),
    h('details', {}, h('summary', {}, `Nodes of sub-topology ${sub.id}`),
      table(['Node', 'Type', 'Step', 'Does', 'Followed by', 'After'], sub.nodes.map(n => [
        h('span', {class: 'mono'}, n.name), n.type, n.step || '—', what(n), n.successors.join(', ') || '—',
        n.predecessors.join(', ') || '—']), {class: 'topology-nodes'})));
}

/** A node as the graph draws it: its kind (and marks), a label, its figures, and a full description. */
function drawn(n, internal) {
  const marks = [n.type];
  if (n.type !== 'processor' && (n.topics || [n.topic]).some(t => internal.has(t))) marks.push('internal');
  if (n.role === 'dead_letter') marks.push('dead-letter');
  const f = n.figures;
  const line = f ? `in ${num(f.records_in)} · lag ${num(f.lag)}` + (f.errors ? ` · ${num(f.errors)} err` : '') : '';
  const label = n.type === 'source' ? n.topics.join(', ') : n.type === 'sink' ? 'to ' + n.topic : n.kind;
  return {id: n.name, kind: marks.join(' '), label, line: line || (n.type === 'processor' ? n.expression || '' : ''),
    title: `${n.type} ${n.name}: ${what(n)}` + (line ? `; ${line}` : '')};
}

function what(n) {
  if (n.type === 'source') return `reads ${n.topics.join(', ')}` + (n.role === 'repartition' ? ' (repartition topic)' : '');
  if (n.type === 'sink') {
    const role = {repartition: ' (repartition topic)', dead_letter: ' (dead-letter topic)'}[n.role] || '';
    return `writes ${n.topic}${role}` + (n.partition ? `, partition ${n.partition}` : '');
  }
  const exprs = n.expression !== undefined ? (n.expression === null ? 'otherwise' : n.expression)
    : Object.entries(n.expressions || {}).map(([k, v]) => `${k}: ${v}`).join('; ');
  return `${n.kind}${exprs ? ' ' + exprs : ''}` + (n.stores.length ? ` (store ${n.stores.join(', ')})` : '');
}

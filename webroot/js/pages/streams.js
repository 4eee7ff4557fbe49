import {h, table} from '../dom.js';
import {api, enc} from '../api.js';
import {streamGraph} from '../graph.js';

/**
 * Streams the cluster runs (/streams): each with its state, version, inputs, steps, tasks (partition, broker, state,
 * lag) and last error, with pause, resume and restart.
 */
export async function render(main) {
  const box = h('div', {id: 'stream-list'}, h('p', {class: 'muted'}, 'Loading…'));
  const graphs = h('section', {id: 'stream-graphs', 'aria-label': 'Steps of each stream'});
  main.append(h('h1', {}, 'Streams'), box, graphs);
  async function refresh() {
    const list = await api('/streams');
    const described = await Promise.all(list.map(s => api(`/streams/${enc(s.name)}`).catch(() => s)));
    const rows = described.map(s => {
      const tasks = s.tasks || [];
      const failed = tasks.find(t => t.last_error);
      return [h('a', {href: `#/streams/${enc(s.name)}`, title: `Topology of ${s.name}`}, s.name), s.state, String(s.version), (s.inputs || []).join(', '),
        h('span', {class: 'mono'}, steps((s.definition || {}).steps || [])),
        tasks.map(t => `${t.topic}-${t.partition}: ${t.state} on ${t.broker}, lag ${t.lag}`).join('; ') || '—',
        String(s.errors || 0),
        failed ? h('details', {}, h('summary', {}, 'last error'), h('pre', {class: 'mono'}, failed.last_error)) : '',
        h('span', {}, action(s.name, 'pause', 'Pause'), ' ', action(s.name, 'resume', 'Resume'), ' ',
          action(s.name, 'restart', 'Restart'))];
    });
    box.replaceChildren(rows.length
      ? table(['Stream', 'State', 'Version', 'Inputs', 'Steps', 'Tasks', 'Errors', 'Error', 'Actions'], rows,
        {id: 'streams-table'})
      : h('p', {class: 'muted', id: 'streams-table'}, 'No streams yet: define one with POST /streams.'));
    graphs.replaceChildren(...described.filter(s => s.definition).map(s =>
      h('figure', {class: 'graph'}, h('figcaption', {}, s.name), streamGraph(s.name, s.definition))));
  }
  function action(name, path, label) {
    const b = h('button', {type: 'button'}, label);
    b.addEventListener('click', () => api(`/streams/${enc(name)}/${path}`, {method: 'POST'}).then(refresh, refresh));
    return b;
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

/** The steps as text: "filter → map → to eu-orders", branches in brackets. */
function steps(list) {
  return list.map(step => {
    const kind = Object.keys(step)[0];
    const body = step[kind];
    if (kind === 'to') {
      return `to ${typeof body === 'string' ? body : body.topic}`;
    }
    if (kind === 'branch') {
      return `branch [${body.map(arm => steps(arm.steps || [])).join(' | ')}]`;
    }
    if (kind === 'merge') {
      return `merge ${body.join(', ')}`;
    }
    return kind;
  }).join(' → ');
}

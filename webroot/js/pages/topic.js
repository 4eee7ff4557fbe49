import {h, table, bytes, num, dialog} from '../dom.js';
import {api, enc} from '../api.js';
import {lineChart} from '../chart.js';
import * as history from '../history.js';
import {showError, notice} from '../app.js';

/** One topic: tabs for its partitions (with its live throughput), its messages and its configs. */
export async function render(main, name, tab) {
  const t = await api('/topics/' + enc(name));
  main.append(h('h1', {}, 'Topic ', h('span', {class: 'mono'}, name)), tabs(name, tab));
  if (tab === 'configs') {
    main.append(await configs(t));
    return null;
  }
  const chart = lineChart('Throughput (bytes/s)', {unit: 'B/s'});
  const parts = h('section', {id: 'partitions'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('section', {class: 'charts'}, chart.el), parts, actions(t));
  const unsubscribe = history.subscribe(state => chart.update(state.times, [
    {label: 'in', values: history.series('topic.in.bytes/' + name)},
    {label: 'out', values: history.series('topic.out.bytes/' + name)}], history.note(state)));
  await partitions(parts, t);
  return () => { unsubscribe(); chart.destroy(); };
}

export function tabs(name, current) {
  const base = '#/topics/' + enc(name);
  const link = (id, href, label) => h('a', {href,
    'aria-current': current === id ? 'page' : null}, label);
  return h('nav', {class: 'tabs', 'aria-label': 'Topic'},
    link('partitions', base, 'Partitions'), link('messages', base + '/messages', 'Messages'),
    link('configs', base + '/configs', 'Configs'));
}

async function partitions(box, t) {
  const [offsets, replicas, moves] = await Promise.all([
    Promise.all(t.partitions.map(p => api(`/topics/${enc(t.name)}/partitions/${p.partition}/offsets`).catch(() => null))),
    api('/metrics/replicas?topic=' + enc(t.name)).catch(() => []),
    api('/reassignments').then(r => r.reassignments.filter(m => m.topic === t.name)).catch(() => [])]);
  const rows = t.partitions.map((p, i) => {
    const o = offsets[i];
    const leaderReplica = replicas.find(r => r.partition === p.partition && r.leader);
    return [String(p.partition), p.leader >= 0 ? String(p.leader) : h('span', {class: 'bad'}, 'none'),
      replicasCell(p, moves.find(m => m.partition === p.partition)),
      h('span', {class: p.replicas.some(r => !r.in_sync) ? 'warn' : ''}, p.replicas.filter(r => r.in_sync).map(r => r.broker).join(', ')),
      o ? num(o.beginning_offset) : '—', o ? num(o.end_offset) : '—',
      bytes(leaderReplica ? leaderReplica.size_bytes : null),
      h('a', {href: `#/topics/${enc(t.name)}/messages?partition=${p.partition}`}, 'messages'),
      o && o.end_offset > o.beginning_offset ? h('button', {class: 'delete-records', 'data-partition': String(p.partition),
        onclick: () => confirmDeleteRecords(t.name, p.partition, o)}, 'Delete records…') : null];
  });
  box.replaceChildren(h('h2', {}, 'Partitions'),
    table(['Partition', 'Leader', 'Replicas', 'In sync', 'Start offset', 'End offset', 'Size', '', ''], rows,
      {id: 'partitions-table'}));
}

/** The replicas, and while a reassignment moves them the ones being added and removed (KIP-455). */
function replicasCell(p, move) {
  const list = p.replicas.map(r => r.broker).join(', ');
  if (!move) return list;
  const parts = [];
  if (move.adding_replicas.length) parts.push('adding ' + move.adding_replicas.join(', '));
  if (move.removing_replicas.length) parts.push('removing ' + move.removing_replicas.join(', '));
  return h('span', {}, list + ' ', h('span', {class: 'warn reassignment'}, '(' + parts.join('; ') + ')'));
}

/** Kafka's DeleteRecords for one partition (DELETE .../records?offset=N), after asking below which offset. */
async function confirmDeleteRecords(name, partition, o) {
  const offset = h('input', {type: 'number', id: 'delete-records-offset', min: String(o.beginning_offset),
    max: String(o.end_offset), value: String(o.end_offset), 'aria-label': 'Delete the records before offset'});
  const choice = await dialog(`Delete records of ${name}-${partition}?`,
    h('div', {}, h('p', {}, `Every record below the offset is deleted on every replica (now ${num(o.beginning_offset)}`
      + ` to ${num(o.end_offset)}). Consumers behind it move to the new start. This cannot be undone.`),
      h('label', {}, 'Delete the records before offset ', offset)),
    [{label: 'Cancel', value: 'cancel'}, {label: 'Delete', value: 'delete', class: 'danger', id: 'confirm-delete-records'}]);
  if (choice !== 'delete') return;
  try {
    const r = await api(`/topics/${enc(name)}/partitions/${partition}/records?offset=${Number(offset.value)}`,
      {method: 'DELETE'});
    notice(`Records of ${name}-${partition} before ${num(r.low_watermark)} deleted`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } catch (err) { showError(err); }
}

const SOURCES = {DYNAMIC_TOPIC_CONFIG: 'topic', STATIC_BROKER_CONFIG: 'broker', DEFAULT_CONFIG: 'default'};

/** Every config with its value and source (GET /topics/{t}/configs), a form to set one and a reset per override. */
async function configs(t) {
  const box = h('section', {id: 'configs'}, h('h2', {}, 'Configs'));
  const list = (await api(`/topics/${enc(t.name)}/configs`)).configs;
  const change = async (path, init, done) => {
    try {
      await api(`/topics/${enc(t.name)}/configs/${enc(path)}`, init);
      notice(done);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) { showError(err); }
  };
  const rows = list.map(c => [h('span', {class: 'mono'}, c.name), h('span', {class: 'mono'}, c.value),
    h('span', {class: c.source === 'DYNAMIC_TOPIC_CONFIG' ? 'badge' : 'muted'}, SOURCES[c.source] || c.source),
    c.source === 'DYNAMIC_TOPIC_CONFIG' ? h('button', {class: 'reset-config', 'data-name': c.name,
      onclick: () => change(c.name, {method: 'DELETE'}, `${c.name} is back to the broker default`)}, 'Reset') : null]);
  const name = h('select', {id: 'config-name', 'aria-label': 'Config'},
    ...list.filter(c => !c.is_read_only).map(c => h('option', {value: c.name}, c.name)));
  const value = h('input', {id: 'config-value', 'aria-label': 'Value', autocomplete: 'off', required: true});
  const form = h('form', {id: 'set-config', class: 'inline'}, h('label', {}, 'Set ', name), h('label', {}, ' to ', value),
    h('button', {type: 'submit'}, 'Set'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    change(name.value, {method: 'PUT', body: {value: value.value.trim()}}, `${name.value} set to ${value.value.trim()}`);
  });
  box.append(table(['Key', 'Value', 'Source', ''], rows, {id: 'configs-table'}), form,
    h('p', {class: 'muted'}, 'Changes reach every replica at once, without a restart. Source: the topic\'s own value, '
      + 'the broker\'s log.* setting, or the built-in default.'));
  return box;
}

function actions(t) {
  const count = h('input', {type: 'number', id: 'grow-count', min: t.partitions.length + 1, value: String(t.partitions.length + 1),
    'aria-label': 'New partition count'});
  const grow = h('form', {id: 'grow-topic', class: 'inline'}, h('label', {}, 'Grow to ', count, ' partitions'),
    h('button', {type: 'submit'}, 'Grow'));
  grow.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      await api(`/topics/${enc(t.name)}/partitions`, {method: 'POST', body: {count: Number(count.value)}});
      notice(`Topic ${t.name} now has ${count.value} partitions`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (err) { showError(err); }
  });
  const del = h('button', {class: 'danger', id: 'delete-topic', onclick: () => confirmDelete(t.name)}, 'Delete topic…');
  return h('section', {class: 'panel'}, h('h2', {}, 'Change'), grow, del);
}

async function confirmDelete(name) {
  const typed = h('input', {id: 'confirm-name', autocomplete: 'off', 'aria-label': 'Topic name'});
  const choice = await dialog('Delete topic ' + name + '?',
    h('div', {}, h('p', {}, 'Its partitions and every record in them are deleted on every broker. This cannot be undone.'),
      h('label', {}, 'Type the topic name to confirm: ', typed)),
    [{label: 'Cancel', value: 'cancel'}, {label: 'Delete', value: 'delete', class: 'danger', id: 'confirm-delete'}]);
  if (choice !== 'delete') return;
  if (typed.value !== name) { showError(new Error('The name typed does not match; nothing was deleted')); return; }
  try {
    await api('/topics/' + enc(name), {method: 'DELETE'});
    notice(`Topic ${name} deleted`);
    location.hash = '#/topics';
  } catch (err) { showError(err); }
}

import {h, table, bytes, num} from '../dom.js';
import {api, enc} from '../api.js';
import {showError, notice} from '../app.js';

/** Every topic with its partitions, replication and size; a search box; the form that creates one. */
export async function render(main, params) {
  const search = h('input', {type: 'search', id: 'topic-search', placeholder: 'Search topics', 'aria-label': 'Search topics',
    value: params.get('q') || ''});
  const list = h('div', {id: 'topic-list'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('h1', {}, 'Topics'), h('div', {class: 'toolbar'}, search), list, createForm(() => load(list, search)));
  search.addEventListener('input', () => filter(list, search.value));
  await load(list, search);
}

async function load(list, search) {
  const [names, replicas] = await Promise.all([api('/topics'), api('/metrics/replicas').catch(() => [])]);
  const topics = await Promise.all(names.map(n => api('/topics/' + enc(n)).catch(() => null)));
  const size = new Map();
  replicas.filter(r => r.leader).forEach(r => size.set(r.topic, (size.get(r.topic) || 0) + r.size_bytes));
  const rows = topics.filter(Boolean).map(t => {
    const rf = t.partitions.length ? t.partitions[0].replicas.length : 0;
    const under = t.partitions.filter(p => p.replicas.some(r => !r.in_sync)).length;
    return [h('a', {href: '#/topics/' + enc(t.name)}, t.name, t.name.startsWith('__') ? h('span', {class: 'badge'}, 'internal') : null),
      num(t.partitions.length), num(rf), h('span', {class: under ? 'warn' : ''}, num(under)), bytes(size.get(t.name))];
  });
  list.replaceChildren(rows.length
    ? table(['Name', 'Partitions', 'Replication', 'Under-replicated', 'Size'], rows, {id: 'topics-table'})
    : h('p', {class: 'muted'}, 'No topics yet.'));
  filter(list, search.value);
}

function filter(list, text) {
  const q = text.trim().toLowerCase();
  list.querySelectorAll('tbody tr').forEach(tr => {
    tr.hidden = q !== '' && !tr.cells[0].textContent.toLowerCase().includes(q);
  });
}

function createForm(reload) {
  const name = h('input', {id: 'new-topic-name', name: 'name', required: true, pattern: '[a-zA-Z0-9._\\-]+', maxlength: 249, autocomplete: 'off'});
  const partitions = h('input', {id: 'new-topic-partitions', name: 'partitions', type: 'number', min: 1, value: '1'});
  const rf = h('input', {id: 'new-topic-rf', name: 'replication', type: 'number', min: 1, value: '1'});
  const configs = h('textarea', {id: 'new-topic-configs', name: 'configs', rows: 3, placeholder: 'retention.ms=86400000\ncleanup.policy=compact'});
  const form = h('form', {id: 'create-topic', class: 'panel'},
    h('h2', {}, 'Create a topic'),
    h('div', {class: 'fields'},
      h('label', {}, 'Name', name), h('label', {}, 'Partitions', partitions), h('label', {}, 'Replication factor', rf),
      h('label', {class: 'wide'}, 'Configs (key=value per line)', configs)),
    h('button', {type: 'submit', id: 'create-topic-submit'}, 'Create'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    try {
      const body = {name: name.value.trim(), partitions: Number(partitions.value), replication_factor: Number(rf.value),
        configs: parseLines(configs.value)};
      await api('/topics', {method: 'POST', body});
      notice(`Topic ${body.name} created`);
      form.reset();
      await reload();
    } catch (err) { showError(err); }
  });
  return form;
}

/** "k=v" lines to an object; blank lines are skipped. */
export function parseLines(text) {
  const out = {};
  text.split('\n').map(l => l.trim()).filter(Boolean).forEach(l => {
    const i = l.indexOf('=');
    if (i <= 0) throw new Error(`"${l}" is not key=value`);
    out[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  });
  return out;
}

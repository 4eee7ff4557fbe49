import {h, table, num} from '../dom.js';
import {api, enc} from '../api.js';

/** Every consumer group with its state and total lag. */
export async function render(main) {
  const box = h('div', {id: 'group-list'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('h1', {}, 'Consumer groups'), box);
  const groups = await api('/consumer-groups');
  const lags = await Promise.all(groups.map(g => api(`/consumer-groups/${enc(g.group_id)}/lags`).catch(() => [])));
  const rows = groups.map((g, i) => [h('a', {href: '#/groups/' + enc(g.group_id)}, g.group_id), g.state,
    num(lags[i].reduce((s, l) => s + (l.lag || 0), 0)), num(new Set(lags[i].map(l => l.topic)).size)]);
  box.replaceChildren(rows.length ? table(['Group', 'State', 'Lag (records)', 'Topics'], rows, {id: 'groups-table'})
    : h('p', {class: 'muted'}, 'No consumer groups yet.'));
}

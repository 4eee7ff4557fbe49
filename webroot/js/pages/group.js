import {h, table, num, dialog} from '../dom.js';
import {api, enc} from '../api.js';
import {lineChart} from '../chart.js';
import * as history from '../history.js';
import {showError, notice} from '../app.js';

/**
 * One group: state and members, lag per partition with its live trend, the offset reset with its dry run, and the
 * group's deletion, confirmed first.
 */
export async function render(main, id) {
  const summary = h('section', {id: 'group-summary'}, h('p', {class: 'muted'}, 'Loading…'));
  const chart = lineChart('Lag (records)', {unit: 'records'});
  const lags = h('section', {id: 'group-lags'});
  main.append(h('h1', {}, 'Consumer group ', h('span', {class: 'mono'}, id)), summary,
    h('section', {class: 'charts', id: 'lag-chart'}, chart.el), lags, resetForm(id, () => refresh()),
    deletePanel(id));
  const prefix = 'group.lag/' + id;
  const unsubscribe = history.subscribe(state => {
    const parts = history.names(prefix + '/').sort();
    chart.update(state.times, [{label: 'total', values: history.series(prefix)},
      ...parts.map(n => ({label: n.slice(prefix.length + 1), values: history.series(n)}))], history.note(state));
  });
  async function refresh() {
    const [g, l] = await Promise.all([api('/consumer-groups/' + enc(id)), api(`/consumer-groups/${enc(id)}/lags`)]);
    summary.replaceChildren(...[
      h('dl', {class: 'facts'}, h('dt', {}, 'State'), h('dd', {id: 'group-state'}, g.state),
        h('dt', {}, 'Generation'), h('dd', {}, String(g.generation)), h('dt', {}, 'Assignor'), h('dd', {}, g.assignor || '—'),
        h('dt', {}, 'Members'), h('dd', {}, String(g.members.length))),
      g.members.length ? table(['Member', 'Instance', 'Static id', 'Partitions'], g.members.map(m => [h('span', {class: 'mono'}, m.member_id),
        m.instance_id || '—', m.group_instance_id || '—', (m.partitions || []).map(p => `${p.topic}-${p.partition}`).join(', ')]))
        : h('p', {class: 'muted'}, 'No members: the group is not consuming now.')]);
    lags.replaceChildren(h('h2', {}, 'Lag per partition'), table(['Topic', 'Partition', 'Resumes at', 'End', 'Lag'],
      l.map(x => [h('a', {href: '#/topics/' + enc(x.topic)}, x.topic), String(x.partition), num(x.next_offset),
        num(x.log_end_offset), num(x.lag)]), {id: 'lags-table'}));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 5000);
  return () => { clearInterval(timer); unsubscribe(); chart.destroy(); };
}

function resetForm(id, refresh) {
  const to = h('select', {id: 'reset-to', 'aria-label': 'Reset to'}, ['earliest', 'latest', 'offset', 'timestamp'].map(v => h('option', {value: v}, v)));
  const offset = h('input', {id: 'reset-offset', type: 'number', min: 0, value: '0', 'aria-label': 'Offset'});
  const time = h('input', {id: 'reset-time', type: 'datetime-local', 'aria-label': 'Time'});
  const topics = h('input', {id: 'reset-topics', placeholder: 'all topics with commits', 'aria-label': 'Topics (comma separated)'});
  const sync = () => { offset.hidden = to.value !== 'offset'; time.hidden = to.value !== 'timestamp'; };
  to.addEventListener('change', sync);
  sync();
  const form = h('form', {id: 'reset', class: 'panel'}, h('h2', {}, 'Reset offsets'),
    h('p', {class: 'muted'}, 'Only while the group has no members. You see the effect (a dry run) before anything changes.'),
    h('div', {class: 'toolbar wrap'}, h('label', {}, 'To ', to), offset, time, topics,
      h('button', {type: 'submit', id: 'reset-preview'}, 'Preview…')));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const body = {to: to.value};
    if (to.value === 'offset') body.offset = Number(offset.value);
    if (to.value === 'timestamp') body.timestamp = time.value ? new Date(time.value).getTime() : 0;
    const names = topics.value.split(',').map(s => s.trim()).filter(Boolean);
    if (names.length) body.topics = names;
    try {
      const preview = await api(`/consumer-groups/${enc(id)}/offsets/reset`, {method: 'POST', body: {...body, dry_run: true}});
      const choice = await dialog('Reset offsets of ' + id + '?', h('div', {id: 'reset-dry-run'},
        h('p', {}, 'Dry run: nothing has changed yet.'),
        table(['Topic', 'Partition', 'Current', 'New', 'Skipped', 'Replayed'], preview.map(r => [r.topic, String(r.partition),
          num(r.current_offset), num(r.new_offset), num(r.records_skipped), num(r.records_replayed)]), {id: 'reset-preview-table'})),
        [{label: 'Cancel', value: 'cancel'}, {label: 'Apply', value: 'apply', class: 'danger', id: 'reset-apply'}]);
      if (choice !== 'apply') return;
      await api(`/consumer-groups/${enc(id)}/offsets/reset`, {method: 'POST', body: {...body, dry_run: false}});
      notice('Offsets reset');
      await refresh();
    } catch (err) { showError(err); }
  });
  return form;
}

function deletePanel(id) {
  // The refusal shows here, beside the button, not in the alerts at the top of a page scrolled down to it.
  const outcome = h('div', {id: 'delete-group-outcome', role: 'alert', 'aria-live': 'assertive'});
  return h('section', {class: 'panel', id: 'group-delete'}, h('h2', {}, 'Delete group'),
    h('p', {class: 'muted'}, 'Only while the group has no members and no consumer instances. Its committed offsets go with it.'),
    h('button', {class: 'danger', id: 'delete-group', onclick: () => confirmDelete(id, outcome)}, 'Delete group…'), outcome);
}

async function confirmDelete(id, outcome) {
  outcome.replaceChildren();
  const choice = await dialog('Delete group ' + id + '?',
    h('p', {}, 'The group and every offset it committed are deleted; a group of the same name later starts at its',
      ' consumers\' auto.offset.reset. This cannot be undone.'),
    [{label: 'Cancel', value: 'cancel', id: 'cancel-delete-group'},
      {label: 'Delete', value: 'delete', class: 'danger', id: 'confirm-delete-group'}]);
  if (choice !== 'delete') return;
  try {
    await api('/consumer-groups/' + enc(id), {method: 'DELETE'});
    notice(`Group ${id} deleted`);
    location.hash = '#/groups';
  } catch (err) {
    // A group with members or consumer instances: the broker's 409 names them, and nothing was deleted.
    const code = err.body && err.body.error_code ? ` (error ${err.body.error_code})` : '';
    outcome.replaceChildren(h('div', {class: 'alert'}, h('span', {}, (err.message || String(err)) + code)));
    outcome.scrollIntoView({block: 'nearest'});
  }
}

import {h, table, card, bytes, num} from '../dom.js';
import {api, hasApi, enc} from '../api.js';
import {lineChart} from '../chart.js';
import * as history from '../history.js';

/** Cluster health, live throughput, the brokers and the groups with the most lag. Each panel loads on its own. */
export async function render(main) {
  const health = h('section', {class: 'cards', 'aria-label': 'Cluster health'}, h('p', {class: 'muted'}, 'Loading…'));
  const bytesChart = lineChart('Throughput (bytes/s)', {unit: 'B/s'});
  const recordsChart = lineChart('Throughput (records/s)', {unit: 'rec/s'});
  const brokers = h('section', {'aria-labelledby': 'brokers-h'}, h('h2', {id: 'brokers-h'}, 'Brokers'));
  const lagging = h('section', {'aria-labelledby': 'lag-h'}, h('h2', {id: 'lag-h'}, 'Consumer groups with the most lag'));
  const extra = h('section', {'aria-labelledby': 'svc-h'}, h('h2', {id: 'svc-h'}, 'Streams and connectors'));
  main.append(h('h1', {}, 'Overview'), health,
    h('section', {class: 'charts', 'aria-label': 'Live throughput'}, bytesChart.el, recordsChart.el),
    h('div', {class: 'two'}, brokers, lagging), extra);

  const unsubscribe = history.subscribe(state => {
    const t = state.times;
    bytesChart.update(t, [{label: 'in', values: history.series('total.in.bytes')},
      {label: 'out', values: history.series('total.out.bytes')}], history.note(state));
    recordsChart.update(t, [{label: 'in', values: history.series('total.in.records')},
      {label: 'out', values: history.series('total.out.records')}], history.note(state));
    renderLagging(lagging);
  });
  const timer = setInterval(() => loadCluster(health, brokers), 5000);
  loadCluster(health, brokers);
  const servicesStopped = renderServices(extra);
  return () => {
    clearInterval(timer); unsubscribe(); bytesChart.destroy(); recordsChart.destroy();
    servicesStopped.then(stop => stop());
  };
}

async function loadCluster(health, brokersBox) {
  const [cluster, names, replicas] = await Promise.all([api('/cluster'), api('/topics'),
    api('/metrics/replicas').catch(() => [])]);
  const topics = await Promise.all(names.slice(0, 500).map(n => api('/topics/' + enc(n))));
  const alive = new Set(cluster.brokers.filter(b => b.alive).map(b => b.id));
  let partitions = 0, under = 0, offline = 0;
  const led = new Map();
  for (const t of topics) {
    for (const p of t.partitions) {
      partitions++;
      if (p.leader < 0 || !alive.has(p.leader)) offline++;
      else led.set(p.leader, (led.get(p.leader) || 0) + 1);
      if (p.replicas.some(r => !r.in_sync)) under++;
    }
  }
  const size = new Map();
  replicas.forEach(r => size.set(r.broker, (size.get(r.broker) || 0) + r.size_bytes));
  const status = offline > 0 ? 'Unhealthy' : under > 0 || alive.size < cluster.brokers.length ? 'Degraded' : 'Running';
  health.replaceChildren(
    card('Status', status, {class: 'card status-' + status.toLowerCase()}),
    card('Brokers online', `${alive.size} of ${cluster.brokers.length}`),
    card('Controller', cluster.controller >= 0 ? 'broker ' + cluster.controller : 'none'),
    card('Topics', num(names.length)),
    card('Partitions', num(partitions)),
    card('Under-replicated', num(under), {class: 'card' + (under ? ' warn' : '')}),
    card('Offline', num(offline), {class: 'card' + (offline ? ' bad' : '')}));
  const rows = cluster.brokers.map(b => [
    h('span', {}, String(b.id), b.id === cluster.controller ? h('span', {class: 'badge', title: 'controller'}, 'controller') : null),
    `${b.host}:${b.port}`, b.rack || '\u2014',
    h('span', {class: b.alive ? 'ok' : 'bad'}, b.alive ? 'alive' : 'down'),
    num(led.get(b.id) || 0), bytes(size.get(b.id))]);
  brokersBox.replaceChildren(h('h2', {id: 'brokers-h'}, 'Brokers'),
    table(['Id', 'Address', 'Rack', 'State', 'Leads', 'Log size'], rows, {id: 'brokers-table'}));
}

function renderLagging(box) {
  const groups = history.names('group.lag/').filter(n => n.split('/').length === 2)
    .map(n => ({id: n.slice('group.lag/'.length), lag: history.latest(n)}))
    .filter(g => g.lag !== null).sort((a, b) => b.lag - a.lag).slice(0, 5);
  box.replaceChildren(h('h2', {id: 'lag-h'}, 'Consumer groups with the most lag'), groups.length
    ? table(['Group', 'Lag (records)'], groups.map(g => [h('a', {href: '#/groups/' + enc(g.id)}, g.id), num(g.lag)]))
    : h('p', {class: 'muted'}, 'No group has committed offsets yet.'));
}

/**
 * Links to the streams and connectors pages and, below them, every stream and connector that is failing (a stream
 * FAILED, a connector or any of its tasks FAILED), refreshed every 5 s, so a failure shows here within seconds.
 */
async function renderServices(box) {
  const [streams, connectors] = await Promise.all([hasApi('/streams'), hasApi('/connectors')]);
  const failing = h('div', {id: 'failing-services'});
  box.append(h('ul', {},
    h('li', {}, h('a', {href: '#/streams'}, 'Streams'), streams ? '' : ': not available yet'),
    h('li', {}, h('a', {href: '#/connectors'}, 'Connectors'), connectors ? '' : ': not available yet')), failing);
  if (!streams && !connectors) return () => {};
  const refresh = () => loadFailing(failing, streams, connectors).catch(() => {});
  refresh();
  const timer = setInterval(refresh, 5000);
  return () => clearInterval(timer);
}

async function loadFailing(box, streams, connectors) {
  const [streamRows, connectorRows] = await Promise.all([
    streams ? failingStreams() : [], connectors ? failingConnectors() : []]);
  const rows = streamRows.concat(connectorRows);
  box.replaceChildren(rows.length
    ? table(['Name', 'Kind', 'State', 'Error'], rows, {id: 'failing-table'})
    : h('p', {class: 'muted', id: 'failing-none'}, 'Nothing is failing.'));
}

async function failingStreams() {
  const failed = (await api('/streams')).filter(s => s.state === 'FAILED');
  const described = await Promise.all(failed.map(s => api('/streams/' + enc(s.name)).catch(() => s)));
  return described.map(s => {
    const tasks = s.tasks || [];
    const bad = tasks.filter(t => t.state === 'FAILED');
    const error = (bad.find(t => t.last_error) || {}).last_error || '';
    return [h('a', {href: '#/streams'}, s.name), 'stream', `${bad.length} of ${tasks.length} tasks FAILED`,
      h('span', {class: 'mono'}, error.split('\n')[0])];
  });
}

async function failingConnectors() {
  const all = await api('/connectors?expand=status');
  const rows = [];
  for (const name of Object.keys(all).sort()) {
    const status = all[name].status || {connector: {}, tasks: []};
    const failedTasks = (status.tasks || []).filter(t => t.state === 'FAILED');
    if (status.connector.state !== 'FAILED' && failedTasks.length === 0) continue;
    const trace = (failedTasks[0] && failedTasks[0].trace) || status.connector.trace || '';
    rows.push([h('a', {href: '#/connectors'}, name), 'connector',
      status.connector.state === 'FAILED' ? 'FAILED' : `${failedTasks.length} of ${status.tasks.length} tasks FAILED`,
      h('span', {class: 'mono'}, trace.split('\n')[0])]);
  }
  return rows;
}

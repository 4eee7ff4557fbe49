import {h, table} from '../dom.js';
import {api, enc} from '../api.js';

/**
 * Connectors run by the cluster, through Kafka Connect's REST API: each with its state, its tasks' states and
 * workers, the first failed task's trace, and pause, resume and restart.
 */
export async function render(main) {
  const box = h('div', {id: 'connector-list'}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('h1', {}, 'Connectors'), box);
  async function refresh() {
    const all = await api('/connectors?expand=status&expand=info');
    const names = Object.keys(all).sort();
    const rows = names.map(name => {
      const status = all[name].status || {connector: {}, tasks: []};
      const tasks = status.tasks || [];
      const failed = tasks.find(t => t.state === 'FAILED');
      return [name, (all[name].info && all[name].info.type) || status.type || '',
        status.connector.state || '', tasks.map(t => `${t.id}: ${t.state} on ${t.worker_id}`).join(', ') || '—',
        failed ? h('details', {}, h('summary', {}, 'trace'), h('pre', {class: 'mono'}, failed.trace || '')) : '',
        h('span', {}, action(name, 'pause', 'PUT', 'Pause'), ' ', action(name, 'resume', 'PUT', 'Resume'), ' ',
          action(name, 'restart?includeTasks=true&onlyFailed=true', 'POST', 'Restart failed'))];
    });
    box.replaceChildren(rows.length
      ? table(['Connector', 'Type', 'State', 'Tasks', 'Error', 'Actions'], rows, {id: 'connectors-table'})
      : h('p', {class: 'muted', id: 'connectors-table'}, 'No connectors yet: create one with POST /connectors.'));
  }
  function action(name, path, method, label) {
    const b = h('button', {type: 'button'}, label);
    b.addEventListener('click', () => api(`/connectors/${enc(name)}/${path}`, {method}).then(refresh, refresh));
    return b;
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

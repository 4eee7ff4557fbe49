// Hash routes, so every page has an address to bookmark and share: #/topics, #/topics/{name}, #/groups/{id}, ...
import {clear, h} from './dom.js';
import * as overview from './pages/overview.js';
import * as topics from './pages/topics.js';
import * as topic from './pages/topic.js';
import * as messages from './pages/messages.js';
import * as groups from './pages/groups.js';
import * as group from './pages/group.js';
import * as connectors from './pages/connectors.js';
import * as streams from './pages/streams.js';
import * as stream from './pages/stream.js';
import * as dataflow from './pages/dataflow.js';

const ROUTES = [
  [/^\/?$/, 'overview', () => overview.render],
  [/^\/topics$/, 'topics', () => topics.render],
  [/^\/topics\/([^/]+)$/, 'topics', m => (el, q) => topic.render(el, decodeURIComponent(m[1]), 'partitions', q)],
  [/^\/topics\/([^/]+)\/configs$/, 'topics', m => (el, q) => topic.render(el, decodeURIComponent(m[1]), 'configs', q)],
  [/^\/topics\/([^/]+)\/messages$/, 'topics', m => (el, q) => messages.render(el, decodeURIComponent(m[1]), q)],
  [/^\/groups$/, 'groups', () => groups.render],
  [/^\/groups\/([^/]+)$/, 'groups', m => (el, q) => group.render(el, decodeURIComponent(m[1]), q)],
  [/^\/streams$/, 'streams', () => streams.render],
  [/^\/streams\/([^/]+)$/, 'streams', m => el => stream.render(el, decodeURIComponent(m[1]))],
  [/^\/dataflow$/, 'dataflow', () => dataflow.render],
  [/^\/connectors$/, 'connectors', () => connectors.render],
];

let cleanup = null;

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  const main = clear(document.getElementById('main'));
  clear(document.getElementById('alerts'));
  for (const [re, nav, make] of ROUTES) {
    const m = path.match(re);
    if (m) {
      markNav(nav);
      const result = make(m)(main, params);
      Promise.resolve(result).then(c => { cleanup = typeof c === 'function' ? c : null; }).catch(showError);
      return;
    }
  }
  markNav(null);
  main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, hash), '. ', h('a', {href: '#/'}, 'Overview')));
}

function markNav(name) {
  document.querySelectorAll('[data-nav]').forEach(a => {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
}

/** Shows an API error (or any error) at the top of the page, with the broker's message and error code. */
export function showError(e) {
  const box = document.getElementById('alerts');
  const code = e && e.body && e.body.error_code ? ` (error ${e.body.error_code})` : '';
  box.append(h('div', {class: 'alert'}, h('span', {}, (e && e.message ? e.message : String(e)) + code),
    h('button', {class: 'link', 'aria-label': 'Dismiss', onclick: ev => ev.target.closest('.alert').remove()}, '×')));
}

export function notice(text) {
  const box = document.getElementById('alerts');
  const el = h('div', {class: 'alert ok'}, text);
  box.append(el);
  setTimeout(() => el.remove(), 4000);
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', e => { showError(e.reason); e.preventDefault(); });
route();

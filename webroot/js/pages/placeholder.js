import {h} from '../dom.js';
import {hasApi} from '../api.js';

/** Streams and connectors: a page that says so while this broker has no such API. */
export async function render(main, title, prefix) {
  main.append(h('h1', {}, title));
  const present = await hasApi(prefix);
  main.append(present
    ? h('p', {}, `This broker serves ${prefix}; see the API document at `, h('a', {href: '/openapi'}, '/openapi'), '.')
    : h('div', {class: 'placeholder'}, h('p', {}, `${title}: not available yet.`),
        h('p', {class: 'muted'}, `This broker has no ${prefix} API; the page fills in once it does.`)));
}

// Element building without innerHTML: every value shown comes from the API and is set as text, never parsed.

/** h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** A table with a header row; rows are arrays of cells (strings or nodes). Wrapped so it scrolls on a phone. */
export function table(headers, rows, attrs = {}) {
  return h('div', {class: 'table-wrap'},
    h('table', attrs,
      h('thead', {}, h('tr', {}, headers.map(x => h('th', {scope: 'col'}, x)))),
      h('tbody', {}, rows.map(r => h('tr', {}, r.map(c => h('td', {}, c)))))));
}

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[i];
}

export function num(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString(undefined, {maximumFractionDigits: digits});
}

export function card(label, value, attrs = {}) {
  return h('div', {class: 'card', ...attrs}, h('div', {class: 'card-label'}, label), h('div', {class: 'card-value'}, value));
}

/** A modal dialog; resolves with the button value the user chose ('' on Escape). */
export function dialog(title, body, buttons) {
  const dlg = h('dialog', {'aria-labelledby': 'dlg-title'},
    h('form', {method: 'dialog'},
      h('h2', {id: 'dlg-title'}, title),
      body,
      h('div', {class: 'actions'}, buttons.map(b => h('button', {value: b.value, class: b.class || '', id: b.id}, b.label)))));
  document.body.append(dlg);
  dlg.showModal();
  return new Promise(resolve => dlg.addEventListener('close', () => { dlg.remove(); resolve(dlg.returnValue); }));
}

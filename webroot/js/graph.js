// A stream's definition drawn as a graph: its input topics, each step, the arms of a branch, and the output topics,
// left to right. SVG built with DOM calls (no markup parsed); colours come from app.css classes.

const SVG = 'http://www.w3.org/2000/svg';
const COL = 150, ROW = 44, W = 128, H = 28, LABEL = 17;

function el(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  children.forEach(c => e.append(c));
  return e;
}

/** Places the nodes: inputs in column 0, then a column per step; a branch's arms take a row each, in order. */
export function layout(def) {
  const nodes = [], edges = [];
  const add = (label, kind, col, row) => (nodes.push({label, kind, col, row}), nodes.length - 1);
  const inputs = [...(def.inputs || [])];
  (def.steps || []).forEach(s => { if (s.merge) inputs.push(...s.merge); });
  const from = inputs.map((t, i) => add(t, 'topic', 0, i));
  // Lays out a list of steps from the nodes in `prev`; answers the last row it used.
  function chain(steps, prev, col, row) {
    for (const step of steps) {
      const kind = Object.keys(step)[0], body = step[kind];
      if (kind === 'merge') continue;
      const id = add(kind, 'step', col, row);
      prev.forEach(p => edges.push([p, id]));
      if (kind === 'to') {
        edges.push([id, add(typeof body === 'string' ? body : body.topic, 'topic', col + 1, row)]);
        return row;
      }
      if (kind === 'branch') {
        let r = row;
        for (const arm of body) {
          const a = add(arm.when ? 'when ' + arm.when : 'otherwise', 'arm', col + 1, r);
          edges.push([id, a]);
          r = chain(arm.steps || [], [a], col + 2, r) + 1;
        }
        return r - 1;
      }
      prev = [id];
      col++;
    }
    return row;
  }
  const rows = Math.max(chain(def.steps || [], from, 1, 0), inputs.length - 1) + 1;
  return {nodes, edges, rows, cols: Math.max(...nodes.map(n => n.col)) + 1};
}

/** The definition's graph as an SVG element, labelled with the stream's name. */
export function streamGraph(name, def) {
  const g = layout(def);
  const svg = el('svg', {class: 'stream-graph', 'data-stream': name, role: 'img', 'aria-label': `Steps of ${name}`,
    viewBox: `0 0 ${g.cols * COL} ${g.rows * ROW}`, width: g.cols * COL, height: g.rows * ROW});
  const x = n => n.col * COL + 4, y = n => n.row * ROW + (ROW - H) / 2;
  for (const [a, b] of g.edges) {
    const s = g.nodes[a], t = g.nodes[b];
    const x1 = x(s) + W, y1 = y(s) + H / 2, x2 = x(t), y2 = y(t) + H / 2, mid = (x1 + x2) / 2;
    svg.append(el('path', {class: 'edge', d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}));
  }
  for (const n of g.nodes) {
    const short = n.label.length > LABEL ? n.label.slice(0, LABEL - 1) + '…' : n.label;
    svg.append(el('g', {class: 'node ' + n.kind, 'data-label': n.label},
      el('title', {}, n.label),
      el('rect', {x: x(n), y: y(n), width: W, height: H, rx: n.kind === 'topic' ? H / 2 : 4}),
      el('text', {x: x(n) + W / 2, y: y(n) + H / 2 + 4, 'text-anchor': 'middle'}, short)));
  }
  return svg;
}

/**
 * Places a directed graph's nodes in columns by their longest path from a node nothing points to (a cycle, possible
 * between streams, is cut after as many rounds as there are nodes), rows in the order given.
 * nodes: [{id, ...}]; edges: [[fromId, toId, class?]]. Answers the nodes with col and row, and the size in cells.
 */
export function layered(nodes, edges) {
  const at = new Map(nodes.map((n, i) => [n.id, i]));
  const col = nodes.map(() => 0);
  for (let round = 0; round < nodes.length; round++) {
    let moved = false;
    for (const [a, b] of edges) {
      const i = at.get(a), j = at.get(b);
      if (i !== undefined && j !== undefined && col[j] < col[i] + 1 && col[i] + 1 < nodes.length) {
        col[j] = col[i] + 1;
        moved = true;
      }
    }
    if (!moved) break;
  }
  const used = new Map();
  const placed = nodes.map((n, i) => {
    const row = used.get(col[i]) || 0;
    used.set(col[i], row + 1);
    return {...n, col: col[i], row};
  });
  return {nodes: placed, cols: Math.max(1, ...col.map(c => c + 1)), rows: Math.max(1, ...used.values())};
}

let drawn = 0;
const DW = 168, DH = 36, DCOL = 200, DROW = 52, DLABEL = 21;

/**
 * A graph drawn left to right: each node a focusable group named for screen readers by its title (Enter follows
 * its href, if any); each node's kind is its CSS class. nodes: [{id, label, line?, kind, title, href?}].
 */
export function dagGraph(cls, label, nodes, edges) {
  const g = layered(nodes, edges);
  const arrow = 'arrow-' + (++drawn); // ids are page-wide: one marker per drawing
  const svg = el('svg', {class: 'dag ' + cls, role: 'group', 'aria-label': label,
    viewBox: `0 0 ${g.cols * DCOL} ${g.rows * DROW}`, width: g.cols * DCOL, height: g.rows * DROW});
  const byId = new Map(g.nodes.map(n => [n.id, n]));
  const x = n => n.col * DCOL + 4, y = n => n.row * DROW + (DROW - DH) / 2;
  for (const [a, b, edgeClass] of edges) {
    const s = byId.get(a), t = byId.get(b);
    if (!s || !t) continue;
    const x1 = x(s) + DW, y1 = y(s) + DH / 2, x2 = x(t), y2 = y(t) + DH / 2, mid = (x1 + x2) / 2;
    svg.append(el('path', {class: 'edge ' + (edgeClass || ''), 'data-from': a, 'data-to': b,
      d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, 'marker-end': `url(#${arrow})`}));
  }
  svg.prepend(el('defs', {}, el('marker', {id: arrow, viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 6,
    markerHeight: 6, orient: 'auto'}, el('path', {d: 'M0,0 L8,4 L0,8 z', class: 'arrow'}))));
  for (const n of g.nodes) {
    const short = s => s.length > DLABEL ? s.slice(0, DLABEL - 1) + '…' : s;
    const node = el('g', {class: 'node ' + n.kind, 'data-name': n.id, 'data-label': n.label, tabindex: 0, role: 'img',
      'aria-label': n.title || n.label},
      el('title', {}, n.title || n.label),
      el('rect', {x: x(n), y: y(n), width: DW, height: DH, rx: /topic/.test(n.kind) ? DH / 2 : 4}),
      el('text', {x: x(n) + DW / 2, y: y(n) + (n.line ? 15 : DH / 2 + 4), 'text-anchor': 'middle'}, short(n.label)));
    if (n.line) {
      node.append(el('text', {class: 'figures', x: x(n) + DW / 2, y: y(n) + 29, 'text-anchor': 'middle'}, short(n.line)));
    }
    if (n.href) {
      node.addEventListener('keydown', e => { if (e.key === 'Enter') location.hash = n.href; });
      node.addEventListener('click', () => { location.hash = n.href; });
    }
    svg.append(node);
  }
  return svg;
}

/**
 * Replaces box's children with a fresh drawing, keeping what the reader had: the focused node (by its data-name)
 * and which <details> were open, so a periodic refresh does not throw a keyboard user back to the page's start.
 */
export function redrawKeeping(box, ...children) {
  const active = document.activeElement;
  const focused = active && box.contains(active) ? active.getAttribute('data-name') : null;
  const open = [...box.querySelectorAll('details')].map(d => d.open);
  box.replaceChildren(...children);
  box.querySelectorAll('details').forEach((d, i) => { if (open[i]) d.open = true; });
  const again = focused && [...box.querySelectorAll('[data-name]')].find(e => e.getAttribute('data-name') === focused);
  if (again) again.focus();
}

// The cluster's metrics history, loaded once and kept live through GET /metrics/history/events (Server-Sent
// Events). One stream is shared by every chart on the page; it closes when the last listener goes.

const WINDOW_MS = 3600 * 1000;
let source = null;
let state = {times: [], series: {}, intervalMs: 5000, available: null};
const listeners = new Set();

export function subscribe(listener) {
  listeners.add(listener);
  open();
  listener(state);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && source) { source.close(); source = null; }
  };
}

/** The values of {@code name} aligned with state.times (null where there was none). */
export function series(name) {
  const s = state.series[name];
  return s ? s : state.times.map(() => null);
}

export function latest(name) {
  const s = state.series[name];
  if (!s) return null;
  for (let i = s.length - 1; i >= 0; i--) if (s[i] !== null) return s[i];
  return null;
}

/** What a chart says when there is no history to show, or null. */
export function note(s) {
  return s.available === false ? 'No metrics from this broker (metrics.enable=false, or it cannot be reached).' : null;
}

export function names(prefix) {
  return Object.keys(state.series).filter(n => n.startsWith(prefix));
}

function open() {
  if (source) return;
  source = new EventSource('/metrics/history/events');
  source.onmessage = e => {
    merge(JSON.parse(e.data));
    state.available = true;
    listeners.forEach(l => l(state));
  };
  source.onerror = () => {
    if (source && source.readyState === EventSource.CLOSED) {
      state.available = false;
      listeners.forEach(l => l(state));
    }
  };
}

// Samples arrive oldest first; a time already held is replaced (the last bucket is sent again as brokers add to it).
function merge(update) {
  state.intervalMs = update.interval_ms || state.intervalMs;
  const index = new Map(state.times.map((t, i) => [t, i]));
  const names = new Set([...Object.keys(state.series), ...Object.keys(update.series)]);
  for (const n of names) if (!state.series[n]) state.series[n] = state.times.map(() => null);
  update.times.forEach((t, j) => {
    let i = index.get(t);
    if (i === undefined) {
      i = state.times.length;
      state.times.push(t);
      index.set(t, i);
      for (const n of names) state.series[n].push(null);
    }
    for (const n of Object.keys(update.series)) state.series[n][i] = update.series[n][j];
  });
  const cutoff = (state.times[state.times.length - 1] || 0) - WINDOW_MS;
  let drop = 0;
  while (drop < state.times.length && state.times[drop] < cutoff) drop++;
  if (drop > 0) {
    state.times = state.times.slice(drop);
    for (const n of names) state.series[n] = state.series[n].slice(drop);
  }
}

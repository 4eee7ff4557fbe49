// Time-series charts on uPlot (from its WebJar, loaded as a classic script before the modules).
import {h} from './dom.js';

const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#a05bd5', '#f3a712', '#17a2b8', '#d63384', '#6c757d'];

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * A line chart in a figure with a caption. update(times ms, [{label, values}]) redraws it; the figure's
 * data-points and data-last attributes tell tests (and curious users) how many samples it shows and the last value
 * of its first line.
 */
export function lineChart(title, {unit = '', height = 180} = {}) {
  const plotBox = h('div', {class: 'plot'});
  const empty = h('p', {class: 'muted chart-empty'}, 'No samples yet.');
  const fig = h('figure', {class: 'chart', dataset: {points: '0', last: ''}}, h('figcaption', {}, title), empty, plotBox);
  let plot = null;
  let labels = [];
  const fmt = v => v === null || v === undefined ? '—' : Number(v).toLocaleString(undefined, {maximumFractionDigits: 1}) + (unit ? ' ' + unit : '');

  function build(width) {
    const fg = cssVar('--muted', '#888');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
    const axis = {stroke: fg, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1}};
    return new window.uPlot({
      width, height,
      series: [{}, ...labels.map((l, i) => ({label: l, stroke: PALETTE[i % PALETTE.length], width: 2, value: (u, v) => fmt(v), spanGaps: true}))],
      axes: [axis, {...axis, size: 60, values: (u, vals) => vals.map(v => compact(v))}],
      scales: {x: {time: true}},
      legend: {live: true},
    }, [[], ...labels.map(() => [])], plotBox);
  }

  const resize = new ResizeObserver(() => { if (plot) plot.setSize({width: plotBox.clientWidth || 300, height}); });
  resize.observe(plotBox);

  return {
    el: fig,
    update(times, lines, note) {
      empty.textContent = note || 'No samples yet.';
      const newLabels = lines.map(l => l.label);
      if (!window.uPlot) return;
      if (!plot || newLabels.join('\u0000') !== labels.join('\u0000')) {
        if (plot) plot.destroy();
        labels = newLabels;
        plot = build(plotBox.clientWidth || 300);
      }
      plot.setData([times.map(t => t / 1000), ...lines.map(l => l.values)]);
      const first = lines[0] ? lines[0].values : [];
      let last = '';
      for (let i = first.length - 1; i >= 0; i--) if (first[i] !== null) { last = String(first[i]); break; }
      fig.dataset.points = String(times.length);
      fig.dataset.last = last;
      empty.hidden = times.length > 0;
    },
    destroy() { resize.disconnect(); if (plot) plot.destroy(); },
  };
}

function compact(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(Math.round(v * 10) / 10);
}

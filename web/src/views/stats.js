// Statistics for ministries (GET /api/stats/tracing): firearms by status
// and type, trace requests by status and addressee country, confirmed hits
// by month. Each table is drawn as an inline SVG chart that names the table
// holding the same numbers (the accessible form), and downloads as CSV
// (GET /api/stats/tracing.csv) for the same months.
import { h, clear } from '../dom.js';
import { t, int, lang } from '../i18n.js';
import * as api from '../api.js';
import { showError } from '../main.js';
import { countryName } from './common.js';
import { firearmStatus, firearmType } from './firearms.js';
import { traceStatus } from './traces.js';

const NS = 'http://www.w3.org/2000/svg';
// Colour-blind-safe palette (Okabe–Ito), then greys.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#777777', '#AAAAAA', '#444444'];

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function monthValue(d) { return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0'); }
// monthLabel: "Nov 2026" in English, the numeric 11.2026 otherwise (the
// browsers lack month names for several of the languages).
function monthLabel(ym) {
  const [y, m] = ym.split('-').map(Number);
  if (lang() !== 'en') return String(m).padStart(2, '0') + '.' + y;
  return new Intl.DateTimeFormat('en', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 1));
}

export async function statistics(main) {
  document.title = t('ui.st.title') + ' — tracemark';
  const params = new URLSearchParams(location.search);
  const now = new Date();
  const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
  const from = h('input', { type: 'month', id: 'st-from', value: params.get('from') || monthValue(before) });
  const to = h('input', { type: 'month', id: 'st-to', value: params.get('to') || monthValue(now) });
  const body = h('div', { id: 'st-body' });
  async function load() {
    const range = { from: from.value, to: to.value };
    history.replaceState(null, '', '/statistics' + api.qs(range));
    clear(body, h('p', { class: 'muted', text: t('ui.loading') }));
    try {
      const st = await api.get('/api/stats/tracing' + api.qs(range));
      const csv = (table) => '/api/stats/tracing.csv' + api.qs({ table, ...range });
      clear(body,
        section('firearms', t('ui.st.firearms'), st.firearms, firearmStatus, firearmType, csv('firearms'), 'bars'),
        section('traces', t('ui.st.traces'), st.traces, traceStatus, countryName, csv('traces'), 'bars'),
        section('hits', t('ui.st.hits'), st.hits, monthLabel, () => t('ui.st.hits_col'), csv('hits'), 'columns'));
    } catch (e) { clear(body); showError(body, e); }
  }
  from.addEventListener('change', load);
  to.addEventListener('change', load);
  main.append(h('h1', { text: t('ui.st.title') }),
    h('p', { class: 'muted', text: t('ui.st.lead') }),
    h('div', { class: 'filters' },
      h('label', { class: 'inline', for: 'st-from' }, t('ui.st.from')), from,
      h('label', { class: 'inline', for: 'st-to' }, t('ui.st.to')), to),
    body);
  await load();
}

// section is one statistic: heading, chart, table and CSV link.
function section(key, title, tb, rowLabel, colLabel, csvHref, kind) {
  const rows = tb.rows || [], cols = tb.cols || [], counts = tb.counts || [];
  const total = counts.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const tableID = 'st-table-' + key, titleID = 'st-title-' + key;
  const chart = !rows.length ? h('p', { class: 'empty', text: t('ui.empty.stats') })
    : kind === 'columns' ? columnChart(key, rows, counts.map((r) => r[0] || 0), rowLabel, titleID, tableID)
      : barChart(key, rows, cols, counts, rowLabel, colLabel, titleID, tableID);
  return h('section', { class: 'card stat', id: 'st-' + key },
    h('div', { class: 'headline' }, h('h2', { id: titleID, text: title }),
      h('a', { class: 'button', id: 'st-csv-' + key, href: csvHref, download: key + '.csv', text: t('ui.st.csv') })),
    h('p', { class: 'muted small', text: t('ui.st.total', { Total: int(total) }) }),
    h('div', { class: 'stat-grid' }, chart, dataTable(tableID, title, tb, rowLabel, colLabel)));
}

function dataTable(id, caption, tb, rowLabel, colLabel) {
  const rows = tb.rows || [], cols = tb.cols || [], counts = tb.counts || [];
  const colTotals = cols.map((_, j) => counts.reduce((a, r) => a + (r[j] || 0), 0));
  const many = cols.length > 1;
  return h('table', { class: 'list stats', id },
    h('caption', { class: 'sr-only', text: caption }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('ui.st.dim.' + (tb.row_name || 'row')) }),
      cols.map((c) => h('th', { scope: 'col', class: 'num', text: colLabel(c) })), many ? h('th', { scope: 'col', class: 'num', text: t('ui.st.sum') }) : null)),
    h('tbody', {}, rows.map((r, i) => h('tr', {}, h('th', { scope: 'row', text: rowLabel(r) }),
      cols.map((_, j) => h('td', { class: 'num', text: int(counts[i][j] || 0) })),
      many ? h('td', { class: 'num strong', text: int(counts[i].reduce((a, b) => a + b, 0)) }) : null))),
    many ? h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', text: t('ui.st.sum') }), colTotals.map((v) => h('td', { class: 'num', text: int(v) })),
      h('td', { class: 'num strong', text: int(colTotals.reduce((a, b) => a + b, 0)) }))) : null);
}

// fit shortens a label for the chart; the table and the tooltip keep it whole.
function fit(text, max) { return text.length > max ? text.slice(0, max - 1) + '…' : text; }

function niceMax(v) {
  if (v <= 5) return Math.max(1, v);
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
}

// barChart is a horizontal stacked bar per row, one colour per column.
function barChart(key, rows, cols, counts, rowLabel, colLabel, titleID, tableID) {
  const W = 560, labelW = 180, barH = 22, gap = 8, top = 8, axis = 22, perRow = 2;
  const legendRows = Math.ceil(cols.length / perRow);
  const H = top + rows.length * (barH + gap) + axis + legendRows * 20 + 6;
  const totals = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(1, ...totals));
  const plotW = W - labelW - 40;
  const x = (v) => labelW + (v / max) * plotW;
  const svg = s('svg', { class: 'chart', id: 'st-chart-' + key, viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': titleID, 'aria-describedby': tableID });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * max)).filter((v, i, a) => a.indexOf(v) === i);
  const axisY = top + rows.length * (barH + gap);
  for (const v of ticks) {
    svg.append(s('line', { x1: x(v), x2: x(v), y1: top - 4, y2: axisY, class: 'grid' }), s('text', { x: x(v), y: axisY + 14, class: 'tick', 'text-anchor': 'middle' }, int(v)));
  }
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    svg.append(s('text', { x: labelW - 8, y: y + barH / 2 + 4, 'text-anchor': 'end', class: 'rowlabel' }, fit(rowLabel(r), 21), s('title', {}, rowLabel(r))));
    let acc = 0;
    cols.forEach((c, j) => {
      const v = counts[i][j] || 0;
      if (!v) return;
      svg.append(s('rect', { x: x(acc), y, width: Math.max(1, x(acc + v) - x(acc)), height: barH, fill: PALETTE[j % PALETTE.length], class: 'bar' },
        s('title', {}, rowLabel(r) + ' · ' + colLabel(c) + ': ' + int(v))));
      acc += v;
    });
    svg.append(s('text', { x: x(acc) + 5, y: y + barH / 2 + 4, class: 'value' }, int(totals[i])));
  });
  cols.forEach((c, j) => {
    const lx = labelW + (j % perRow) * 170, ly = axisY + axis + Math.floor(j / perRow) * 20;
    svg.append(s('rect', { x: lx, y: ly, width: 12, height: 12, fill: PALETTE[j % PALETTE.length] }),
      s('text', { x: lx + 17, y: ly + 10, class: 'legend' }, fit(colLabel(c), 24), s('title', {}, colLabel(c))));
  });
  return svg;
}

// columnChart is one column per month with the count above it.
function columnChart(key, rows, values, rowLabel, titleID, tableID) {
  const W = 560, H = 220, left = 34, bottom = 40, top = 14;
  const max = niceMax(Math.max(1, ...values));
  const plotH = H - top - bottom, plotW = W - left - 8;
  const step = plotW / rows.length, colW = Math.max(4, step * 0.62);
  const y = (v) => top + plotH - (v / max) * plotH;
  const svg = s('svg', { class: 'chart', id: 'st-chart-' + key, viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': titleID, 'aria-describedby': tableID });
  const ticks = [0, 0.5, 1].map((f) => Math.round(f * max)).filter((v, i, a) => a.indexOf(v) === i);
  for (const v of ticks) svg.append(s('line', { x1: left, x2: W - 8, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, int(v)));
  const every = Math.ceil(rows.length / 12);
  rows.forEach((r, i) => {
    const cx = left + step * i + step / 2;
    const v = values[i];
    if (v) {
      svg.append(s('rect', { x: cx - colW / 2, y: y(v), width: colW, height: y(0) - y(v), fill: PALETTE[0], class: 'bar' }, s('title', {}, rowLabel(r) + ': ' + int(v))),
        s('text', { x: cx, y: y(v) - 4, 'text-anchor': 'middle', class: 'value' }, int(v)));
    }
    if (i % every === 0) svg.append(s('text', { x: cx, y: H - bottom + 16, 'text-anchor': 'middle', class: 'tick' }, rowLabel(r)));
  });
  // The trend as a line over the columns.
  if (rows.length > 1) {
    svg.append(s('polyline', { class: 'trend', points: values.map((v, i) => `${left + step * i + step / 2},${y(v)}`).join(' ') }));
  }
  svg.append(s('line', { x1: left, x2: W - 8, y1: y(0), y2: y(0), class: 'axis' }));
  return svg;
}


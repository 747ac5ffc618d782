// The firearm ↔ exhibits ↔ cases ↔ agencies graph (GET
// /api/firearms/{id}/graph) drawn as inline SVG in four columns, one per
// node kind, so that it reads left to right: the firearm, the exhibits
// fired with it, their cases (a confirmed hit joins two cases with an arc),
// and the agencies. Each node is a link; the same relations are listed as
// text below the drawing for screen readers and keyboard users.
import { h, link } from '../dom.js';
import { t } from '../i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const KINDS = ['firearm', 'exhibit', 'case', 'agency'];
const EDGE_KINDS = ['test_fire', 'in_case', 'owned_by', 'held_by', 'recovered_in', 'hit', 'linked'];
const NODE_W = 210, NODE_H = 38, COL_GAP = 90, ROW_GAP = 16, PAD = 24, HEAD = 26;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function hrefOf(n) {
  const [kind, id] = [n.kind, n.id.slice(n.id.indexOf(':') + 1)];
  if (kind === 'firearm') return '/firearms/' + id;
  if (kind === 'exhibit') return '/exhibits/' + id;
  if (kind === 'case') return '/cases/' + id;
  return null;
}

function short(text, max) { return text.length > max ? text.slice(0, max - 1) + '…' : text; }

// layout orders each column by the mean position of its neighbours in the
// column before (one barycentre pass), which keeps most edges uncrossed.
function layout(g) {
  const cols = KINDS.map((k) => g.nodes.filter((n) => n.kind === k));
  const pos = new Map();
  const neighbours = new Map(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) { neighbours.get(e.from)?.push(e.to); neighbours.get(e.to)?.push(e.from); }
  cols.forEach((col, c) => {
    if (c > 0) {
      const score = (n) => {
        const ys = neighbours.get(n.id).map((m) => pos.get(m)).filter((p) => p && p.col < c).map((p) => p.row);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
      };
      col.sort((a, b) => score(a) - score(b) || a.label.localeCompare(b.label));
    }
    col.forEach((n, r) => pos.set(n.id, { col: c, row: r }));
  });
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const height = PAD * 2 + HEAD + rows * NODE_H + (rows - 1) * ROW_GAP;
  const xy = new Map();
  cols.forEach((col, c) => {
    const colH = col.length * NODE_H + (col.length - 1) * ROW_GAP;
    const top = PAD + HEAD + (height - PAD * 2 - HEAD - colH) / 2;
    col.forEach((n, r) => xy.set(n.id, { x: PAD + c * (NODE_W + COL_GAP), y: top + r * (NODE_H + ROW_GAP), n }));
  });
  return { xy, width: PAD * 2 + KINDS.length * NODE_W + (KINDS.length - 1) * COL_GAP, height };
}

// edgePath draws an edge between neighbouring columns as an S-curve, a hit
// between two cases as an arc beside their column, and an edge that skips
// columns along its own lane under the nodes (so it crosses no node).
function edgePath(a, b, kind, laneY) {
  if (kind === 'hit') {
    const x = a.x + NODE_W, y1 = a.y + NODE_H / 2, y2 = b.y + NODE_H / 2;
    const bulge = Math.min(COL_GAP * 0.8, 30 + Math.abs(y2 - y1) * 0.25);
    return `M${x},${y1} C${x + bulge},${y1} ${x + bulge},${y2} ${x},${y2}`;
  }
  const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
  if (laneY != null) {
    const r = 28;
    return `M${x1},${y1} C${x1 + r},${y1} ${x1 + r},${laneY} ${x1 + 2 * r},${laneY} L${x2 - 2 * r},${laneY} C${x2 - r},${laneY} ${x2 - r},${y2} ${x2},${y2}`;
  }
  const dx = (x2 - x1) / 2;
  return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
}

export function firearmGraph(g, selfID, selfLabel) {
  // The firearm itself is named by model and serial (its make is on the page).
  const nodes = (g.nodes || []).map((n) => (selfLabel && n.id === 'firearm:' + selfID ? { ...n, label: selfLabel } : n));
  const edges = g.edges || [];
  if (!nodes.length) return h('p', { class: 'empty', text: t('ui.empty.graph') });
  const { xy, width, height: nodesHeight } = layout({ nodes, edges });
  const skipping = edges.filter((e) => e.kind !== 'hit' && xy.get(e.from) && xy.get(e.to) && Math.abs(xy.get(e.to).x - xy.get(e.from).x) > NODE_W + COL_GAP);
  const lane = new Map(skipping.map((e, i) => [e, nodesHeight - PAD + 14 + i * 11]));
  const height = nodesHeight + (skipping.length ? 14 + skipping.length * 11 : 0);
  const svg = s('svg', { class: 'graph', id: 'fa-graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-labelledby': 'fa-graph-title', 'aria-describedby': 'fa-graph-list' },
    s('defs', {}, EDGE_KINDS.map((k) => s('marker', { id: 'arrow-' + k, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', class: 'ge-' + k },
      s('path', { d: 'M0,0 L10,5 L0,10 z' })))),
    KINDS.map((k, c) => s('text', { x: PAD + c * (NODE_W + COL_GAP), y: PAD + 12, class: 'gcol' }, t('ui.graph.kind.' + k))));
  for (const e of edges) {
    const a = xy.get(e.from), b = xy.get(e.to);
    if (!a || !b) continue;
    const p = s('path', { d: edgePath(a, b, e.kind, lane.get(e)), class: 'gedge ge-' + e.kind, 'marker-end': `url(#arrow-${e.kind})` },
      s('title', {}, t('ui.graph.edge.' + e.kind)));
    svg.append(p);
  }
  for (const { x, y, n } of xy.values()) {
    const href = hrefOf(n);
    const self = n.id === 'firearm:' + selfID;
    const box = s('g', { class: 'gnode gn-' + n.kind + (self ? ' self' : ''), transform: `translate(${x},${y})` },
      s('rect', { width: NODE_W, height: NODE_H, rx: 7 }),
      s('text', { x: 10, y: 15, class: 'gkind' }, t('ui.graph.kind.' + n.kind)),
      s('text', { x: 10, y: 31, class: 'glabel' }, short(n.label || n.id, 28)),
      s('title', {}, t('ui.graph.kind.' + n.kind) + ': ' + (n.label || n.id)));
    if (href && !self) {
      const a = s('a', { href, 'data-nav': '1', 'aria-label': t('ui.graph.kind.' + n.kind) + ': ' + (n.label || n.id) }, box);
      svg.append(a);
    } else svg.append(box);
  }
  const label = (id) => { const p = xy.get(id); return p ? t('ui.graph.kind.' + p.n.kind) + ' ' + (p.n.label || id) : id; };
  const usedKinds = EDGE_KINDS.filter((k) => edges.some((e) => e.kind === k));
  return h('div', { class: 'graph-box' },
    h('div', { class: 'graph-scroll', tabindex: 0, 'aria-label': t('ui.fa.graph') }, svg),
    h('ul', { class: 'legend', 'aria-hidden': 'true' }, usedKinds.map((k) => h('li', {}, h('span', { class: 'swatch ge-' + k }), t('ui.graph.edge.' + k)))),
    h('details', {}, h('summary', { text: t('ui.graph.as_text') }),
      h('ul', { id: 'fa-graph-list', class: 'small' }, edges.map((e) => {
        const a = xy.get(e.from), b = xy.get(e.to);
        const end = (p, id) => (p && hrefOf(p.n) ? link(hrefOf(p.n), { text: label(id) }) : label(id));
        return h('li', {}, end(a, e.from), ' — ', t('ui.graph.edge.' + e.kind), ' → ', end(b, e.to));
      }))));
}

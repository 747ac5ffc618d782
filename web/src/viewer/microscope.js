// Microscope2D is the 2D comparison microscope: scan A and scan B drawn in
// A's µm frame (B moved by the registration), either as one split image
// with a draggable divider or side by side; pan and zoom are shared by both
// halves. Tools: pan, distance (µm) and marks (points and rectangles).
//
// Frames (docs/api-workstation.md): x right, y down, µm from A's top-left
// point. B is rotated by θ about its centre c, then moved by −d:
// world = R(θ)(q − c) + c − d for a point q of B.

import { h } from '../dom.js';
import { centreOf } from './heightmap.js';

const MIN_SCALE = 0.02, MAX_SCALE = 40;

export class Microscope2D {
  constructor(host, { labels, onMark, onMeasure, onChange }) {
    this.labels = labels;
    this.onMark = onMark; this.onMeasure = onMeasure; this.onChange = onChange || (() => {});
    this.mode = 'split';
    this.tool = 'pan';
    this.split = 0.5;
    this.view = { scale: 1, tx: 0, ty: 0 };
    this.reg = { theta: 0, dx: 0, dy: 0 };
    this.a = null; this.b = null;
    this.cells = [];
    this.showCells = true;
    this.marks = [];
    this.recorded = [];
    this.measure = [];
    this.pointers = new Map();
    this.root = h('div', { class: 'scope mode-split', tabindex: 0, role: 'application', 'aria-roledescription': labels.roledesc, 'aria-label': labels.view });
    this.cvA = h('canvas', { class: 'scope-canvas a', 'aria-hidden': 'true' });
    this.cvB = h('canvas', { class: 'scope-canvas b', 'aria-hidden': 'true' });
    this.divider = h('div', { class: 'divider', role: 'separator', tabindex: 0, 'aria-orientation': 'vertical', 'aria-label': labels.divider,
      'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 50, 'aria-controls': 'scope' }, h('span', { class: 'grip', 'aria-hidden': 'true' }));
    this.tagA = h('span', { class: 'tag tag-a' });
    this.tagB = h('span', { class: 'tag tag-b' });
    this.scaleBar = h('div', { class: 'scalebar', 'aria-hidden': 'true' }, h('span'));
    this.readout = h('div', { class: 'readout', 'aria-live': 'polite' });
    this.root.id = 'scope';
    this.root.append(this.cvA, this.cvB, this.divider, this.tagA, this.tagB, this.scaleBar, this.readout);
    host.append(this.root);
    this.bind();
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.root);
  }

  destroy() { this.ro.disconnect(); cancelAnimationFrame(this.raf); }

  setScans(a, b) {
    this.a = a; this.b = b;
    this.tagA.textContent = a?.label || 'A';
    this.tagB.textContent = b?.label || 'B';
    if (!this.fitted && a) { this.fit(); this.fitted = true; }
    this.draw();
  }

  setMode(m) {
    this.mode = m;
    this.root.classList.toggle('mode-split', m === 'split');
    this.root.classList.toggle('mode-side', m === 'side');
    this.resize();
    this.fit();
  }

  setRegistration(r) { this.reg = { ...r }; this.draw(); }
  setCells(cells) { this.cells = cells || []; this.draw(); }
  setTool(tool) { this.tool = tool; this.measure = tool === 'measure' ? this.measure : []; this.root.dataset.tool = tool; this.draw(); }

  setSplit(f) {
    this.split = Math.min(1, Math.max(0, f));
    const pct = Math.round(this.split * 100);
    this.divider.setAttribute('aria-valuenow', pct);
    this.divider.setAttribute('aria-valuetext', pct + ' %');
    this.root.dataset.split = pct;
    this.placeDivider();
    this.draw();
  }

  // Geometry ----------------------------------------------------------

  paneWidth() { return this.mode === 'side' ? this.cvA.clientWidth : this.root.clientWidth; }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    for (const cv of [this.cvA, this.cvB]) {
      cv.width = Math.max(1, Math.round(cv.clientWidth * dpr));
      cv.height = Math.max(1, Math.round(cv.clientHeight * dpr));
    }
    this.placeDivider();
    this.draw();
  }

  placeDivider() { this.divider.style.left = (this.split * 100).toFixed(2) + '%'; }

  fit() {
    if (!this.a) return;
    const w = this.paneWidth() || 600, hgt = this.root.clientHeight || 400;
    const wu = this.a.nx * this.a.dx, hu = this.a.ny * this.a.dy;
    const s = 0.94 * Math.min(w / wu, hgt / hu);
    this.view = { scale: s, tx: (w - wu * s) / 2, ty: (hgt - hu * s) / 2 };
    this.draw();
  }

  zoomAt(factor, sx, sy) {
    const v = this.view;
    const ns = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
    const f = ns / v.scale;
    v.tx = sx - (sx - v.tx) * f; v.ty = sy - (sy - v.ty) * f; v.scale = ns;
    this.draw();
  }

  pan(dx, dy) { this.view.tx += dx; this.view.ty += dy; this.draw(); }

  // toWorld converts pane coordinates (CSS px) to A's µm frame.
  toWorld(px, py) { return [(px - this.view.tx) / this.view.scale, (py - this.view.ty) / this.view.scale]; }
  toScreen(x, y) { return [x * this.view.scale + this.view.tx, y * this.view.scale + this.view.ty]; }

  bCentre() { return this.b ? centreOf(this.b) : [0, 0]; }

  // worldToB converts a point of A's frame to B's own frame (inverse registration).
  worldToB(x, y) {
    const [cx, cy] = this.bCentre();
    const th = (-this.reg.theta * Math.PI) / 180;
    const u = x + this.reg.dx - cx, v = y + this.reg.dy - cy;
    return [Math.cos(th) * u - Math.sin(th) * v + cx, Math.sin(th) * u + Math.cos(th) * v + cy];
  }

  bToWorld(x, y) {
    const [cx, cy] = this.bCentre();
    const th = (this.reg.theta * Math.PI) / 180;
    const u = x - cx, v = y - cy;
    return [Math.cos(th) * u - Math.sin(th) * v + cx - this.reg.dx, Math.sin(th) * u + Math.cos(th) * v + cy - this.reg.dy];
  }

  // Drawing -----------------------------------------------------------

  draw() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.paint(); });
  }

  paint() {
    const dpr = window.devicePixelRatio || 1;
    if (this.mode === 'split') {
      const ctx = this.cvA.getContext('2d');
      const W = this.cvA.clientWidth, H = this.cvA.clientHeight;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      const sx = this.split * W;
      ctx.save(); ctx.beginPath(); ctx.rect(0, 0, sx, H); ctx.clip(); this.paintScan(ctx, 'a'); ctx.restore();
      ctx.save(); ctx.beginPath(); ctx.rect(sx, 0, W - sx, H); ctx.clip(); this.paintScan(ctx, 'b'); ctx.restore();
      this.paintOverlays(ctx);
    } else {
      for (const [cv, which] of [[this.cvA, 'a'], [this.cvB, 'b']]) {
        const ctx = cv.getContext('2d');
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.clearRect(0, 0, cv.clientWidth, cv.clientHeight);
        this.paintScan(ctx, which);
        this.paintOverlays(ctx);
      }
    }
    this.paintScaleBar();
    this.onChange(this);
  }

  paintScan(ctx, which) {
    const s = which === 'a' ? this.a : this.b;
    if (!s?.canvas) return;
    const v = this.view;
    ctx.save();
    ctx.translate(v.tx, v.ty);
    ctx.scale(v.scale, v.scale);
    if (which === 'b') {
      const [cx, cy] = this.bCentre();
      ctx.translate(cx - this.reg.dx, cy - this.reg.dy);
      ctx.rotate((this.reg.theta * Math.PI) / 180);
      ctx.translate(-cx, -cy);
    }
    ctx.imageSmoothingEnabled = v.scale * s.dx < 4;
    // Pixel (i, j) is centred on (x0 + i·dx, y0 + j·dy).
    ctx.drawImage(s.canvas, (s.x0 ?? s.dx / 2) - s.dx / 2, (s.y0 ?? s.dy / 2) - s.dy / 2, s.nx * s.dx, s.ny * s.dy);
    ctx.restore();
  }

  paintOverlays(ctx) {
    const v = this.view;
    ctx.save();
    ctx.lineWidth = 1.5;
    if (this.showCells) {
      for (const c of this.cells) {
        const [x0, y0] = this.toScreen(c.x_um, c.y_um);
        ctx.strokeStyle = c.congruent ? 'rgba(40,220,90,0.95)' : 'rgba(250,210,40,0.7)';
        ctx.setLineDash(c.congruent ? [] : [4, 3]);
        ctx.strokeRect(x0, y0, c.w_um * v.scale, c.h_um * v.scale);
      }
      ctx.setLineDash([]);
    }
    ctx.font = '12px system-ui, sans-serif';
    this.recorded.forEach((m) => this.paintMark(ctx, m, m.by || '', [5, 4]));
    this.marks.forEach((m, i) => this.paintMark(ctx, m, String(i + 1), []));
    if (this.measure.length) {
      const pts = this.measure.map(([x, y]) => this.toScreen(x, y));
      ctx.strokeStyle = '#fff'; ctx.fillStyle = '#fff'; ctx.lineWidth = 2;
      ctx.shadowColor = '#000'; ctx.shadowBlur = 3;
      ctx.beginPath(); pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.stroke();
      pts.forEach(([x, y]) => { ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill(); });
      if (pts.length === 2) {
        ctx.font = 'bold 13px system-ui, sans-serif';
        ctx.fillText(this.labels.distance(this.distance()), (pts[0][0] + pts[1][0]) / 2 + 8, (pts[0][1] + pts[1][1]) / 2 - 8);
      }
    }
    ctx.restore();
  }

  paintMark(ctx, m, tag, dash) {
    ctx.save();
    ctx.setLineDash(dash);
    const pts = m.points_um.map(([x, y]) => (m.scan === 'b' ? this.bToWorld(x, y) : [x, y])).map(([x, y]) => this.toScreen(x, y));
    ctx.strokeStyle = m.scan === 'a' ? '#ff5fa2' : '#5fc8ff';
    ctx.fillStyle = ctx.strokeStyle;
    if (m.kind === 'rect') {
      const [[x0, y0], [x1, y1]] = pts;
      ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    } else if (m.kind === 'point') {
      ctx.beginPath(); ctx.arc(pts[0][0], pts[0][1], 5, 0, 2 * Math.PI); ctx.stroke();
    } else {
      ctx.beginPath(); pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.stroke();
    }
    ctx.fillText(tag + (m.label ? ' ' + m.label : ''), pts[0][0] + 7, pts[0][1] - 7);
    ctx.restore();
  }

  distance() {
    if (this.measure.length < 2) return NaN;
    const [[x0, y0], [x1, y1]] = this.measure;
    return Math.hypot(x1 - x0, y1 - y0);
  }

  paintScaleBar() {
    // A round length of 60–150 px on screen.
    const target = 100 / this.view.scale;
    const p = Math.pow(10, Math.floor(Math.log10(target)));
    const len = [1, 2, 5, 10].map((k) => k * p).find((x) => x >= target * 0.6) || p;
    this.scaleBar.style.width = Math.round(len * this.view.scale) + 'px';
    this.scaleBar.firstChild.textContent = this.labels.length(len);
  }

  // Input -------------------------------------------------------------

  sideOf(e) {
    if (this.mode === 'side') return e.target === this.cvB ? 'b' : 'a';
    const r = this.root.getBoundingClientRect();
    return e.clientX - r.left < this.split * r.width ? 'a' : 'b';
  }

  local(e) {
    const r = (this.mode === 'side' ? e.target : this.root).getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  bind() {
    // Divider: pointer (mouse, pen, touch) and keyboard.
    this.divider.addEventListener('pointerdown', (e) => {
      e.preventDefault(); e.stopPropagation();
      this.divider.setPointerCapture(e.pointerId);
      this.divider.classList.add('dragging');
    });
    this.divider.addEventListener('pointermove', (e) => {
      if (!this.divider.hasPointerCapture(e.pointerId)) return;
      const r = this.root.getBoundingClientRect();
      this.setSplit((e.clientX - r.left) / r.width);
    });
    const end = (e) => { if (this.divider.hasPointerCapture(e.pointerId)) this.divider.releasePointerCapture(e.pointerId); this.divider.classList.remove('dragging'); };
    this.divider.addEventListener('pointerup', end);
    this.divider.addEventListener('pointercancel', end);
    this.divider.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 0.1 : 0.02;
      const k = { ArrowLeft: -step, ArrowRight: step, ArrowDown: -step, ArrowUp: step }[e.key];
      if (k != null) { e.preventDefault(); e.stopPropagation(); this.setSplit(this.split + k); }
      if (e.key === 'Home') { e.preventDefault(); this.setSplit(0); }
      if (e.key === 'End') { e.preventDefault(); this.setSplit(1); }
    });

    for (const cv of [this.cvA, this.cvB]) {
      cv.addEventListener('pointerdown', (e) => this.down(e));
      cv.addEventListener('pointermove', (e) => this.move(e));
      cv.addEventListener('pointerup', (e) => this.up(e));
      cv.addEventListener('pointercancel', (e) => this.pointers.delete(e.pointerId));
      cv.addEventListener('wheel', (e) => {
        e.preventDefault();
        const [x, y] = this.local(e);
        this.zoomAt(Math.exp(-e.deltaY * 0.0015), x, y);
      }, { passive: false });
    }
    this.root.addEventListener('keydown', (e) => this.key(e));
  }

  down(e) {
    e.target.setPointerCapture(e.pointerId);
    const [x, y] = this.local(e);
    this.pointers.set(e.pointerId, { x, y, x0: x, y0: y, side: this.sideOf(e) });
    this.root.focus({ preventScroll: true });
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    const [x, y] = this.local(e);
    if (!p) {
      const [wx, wy] = this.toWorld(x, y);
      this.readout.textContent = this.labels.xy(wx, wy);
      return;
    }
    if (this.pointers.size === 2) {
      const [q] = [...this.pointers.values()].filter((o) => o !== p);
      const d0 = Math.hypot(p.x - q.x, p.y - q.y), d1 = Math.hypot(x - q.x, y - q.y);
      if (d0 > 0) this.zoomAt(d1 / d0, (x + q.x) / 2, (y + q.y) / 2);
    } else if (this.tool === 'pan') {
      this.pan(x - p.x, y - p.y);
    } else if (this.tool === 'mark') {
      this.preview = [p.x0, p.y0, x, y];
    }
    p.x = x; p.y = y;
  }

  up(e) {
    const p = this.pointers.get(e.pointerId);
    this.pointers.delete(e.pointerId);
    if (!p) return;
    const [x, y] = this.local(e);
    const moved = Math.hypot(x - p.x0, y - p.y0);
    if (this.tool === 'measure' && moved < 5) this.addMeasurePoint(...this.toWorld(x, y));
    if (this.tool === 'mark') this.addMark(p.side, this.toWorld(p.x0, p.y0), moved < 5 ? null : this.toWorld(x, y));
  }

  addMeasurePoint(wx, wy) {
    if (this.measure.length >= 2) this.measure = [];
    this.measure.push([wx, wy]);
    if (this.measure.length === 2) this.onMeasure?.(this.distance());
    this.draw();
  }

  // addMark records a point (to null) or a rectangle on scan side, in that scan's own frame.
  addMark(side, from, to) {
    const conv = (pt) => (side === 'b' ? this.worldToB(...pt) : pt);
    const m = to ? { scan: side, kind: 'rect', points_um: [conv(from), conv(to)] } : { scan: side, kind: 'point', points_um: [conv(from)] };
    m.points_um = m.points_um.map(([px, py]) => [Math.round(px * 10) / 10, Math.round(py * 10) / 10]);
    this.marks.push(m);
    this.onMark?.(m);
    this.draw();
  }

  // cursorWorld is the world point at the centre of the view (keyboard tools).
  centreWorld() {
    const w = this.mode === 'split' ? this.root.clientWidth : this.cvA.clientWidth;
    return this.toWorld(w * (this.mode === 'split' ? this.split : 0.5), this.root.clientHeight / 2);
  }

  key(e) {
    if (e.target !== this.root) return;
    const step = e.shiftKey ? 120 : 40;
    const map = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const w = this.root.clientWidth / 2, hh = this.root.clientHeight / 2;
    if (map[e.key]) { e.preventDefault(); this.pan(...map[e.key]); return; }
    if (e.key === '+' || e.key === '=') { e.preventDefault(); this.zoomAt(1.25, w, hh); return; }
    if (e.key === '-') { e.preventDefault(); this.zoomAt(0.8, w, hh); return; }
    if (e.key === '0') { e.preventDefault(); this.fit(); return; }
    if (e.key === 'Enter' || e.key === ' ') {
      const [wx, wy] = this.centreWorld();
      if (this.tool === 'measure') { e.preventDefault(); this.addMeasurePoint(wx, wy); }
      if (this.tool === 'mark') { e.preventDefault(); this.addMark(this.mode === 'split' ? 'a' : 'a', [wx, wy], null); }
    }
  }
}

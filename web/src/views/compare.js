import { h, clear, link, toast } from '../dom.js';
import { t, num, int, um, deg } from '../i18n.js';
import * as api from '../api.js';
import { errorText } from '../main.js';
import { Microscope2D } from '../viewer/microscope.js';
import { loadSurface, loadImage, shade, robustRange, flattenAcross } from '../viewer/heightmap.js';
import { signaturePlot } from '../viewer/plots.js';
import { conclusionPanel } from './conclusion.js';
import { breadcrumb, statusLabel } from './common.js';

const IMAGE_FORMATS = new Set(['png', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp']);
const FIRST_MAX = 256, FINE_MAX = 512;

// comparison is the virtual comparison microscope for scan A (the query or
// reference) and scan B (the candidate): split and side-by-side 2D views,
// a 3D relief, a land-by-land view for bullets, registration by hand,
// distance and marks, scores, and the conclusion panel.
export async function comparison(main, scanA, scanB) {
  const started = performance.now();
  const params = new URLSearchParams(location.search);
  const candidateID = params.get('candidate') || '';
  const runID = params.get('run') || '';
  const ac = new AbortController();
  const state = {
    light: { azimuth: 315, elevation: 45 }, colour: true, relief: 4, mode: 'split',
    engineReg: { theta: 0, dx: 0, dy: 0 }, manual: { theta: 0, dx: 0, dy: 0 }, cells: [], pair: null,
  };
  document.title = t('ui.comparison') + ' — tracemark';

  const scanMeta = (id) => api.get('/api/scans/' + encodeURIComponent(id), { notFound: 'ui.err.scan_missing', signal: ac.signal });
  // Height maps are asked for at once, in parallel with the records: the
  // view is interactive as soon as both decimated maps are drawn.
  const early = [loadSurface(scanA, FIRST_MAX, ac.signal), loadSurface(scanB, FIRST_MAX, ac.signal)];
  early.forEach((p) => p.catch(() => {}));
  const [metaA, metaB, cand] = await Promise.all([scanMeta(scanA), scanMeta(scanB),
    candidateID ? api.get('/api/candidates/' + encodeURIComponent(candidateID), { notFound: 'ui.err.candidate_missing', signal: ac.signal }).catch((e) => ({ error: e })) : null]);
  if (cand?.error) toast(errorText(cand.error), 'error');
  const phases = { records: performance.now() - started };
  const candidate = cand?.candidate || null;
  if (candidate && (candidate.review_status || 'unreviewed') === 'unreviewed') {
    // Opening the comparison is what "viewed" means; a refusal (role) changes nothing here.
    api.post('/api/candidates/' + encodeURIComponent(candidate.id) + '/reviews', { status: 'viewed' }).then(() => { candidate.review_status = 'viewed'; }).catch(() => {});
  }
  if (candidate?.registration) {
    const r = candidate.registration;
    state.engineReg = { theta: r.theta_deg || 0, dx: r.dx_um || 0, dy: r.dy_um || 0 };
  }

  // Layout ---------------------------------------------------------------
  const stage = h('div', { class: 'stage', id: 'stage' });
  const side = h('aside', { class: 'side', 'aria-label': t('ui.compare.panel') });
  const status = h('p', { class: 'muted small', id: 'compare-status', 'aria-live': 'polite', text: t('ui.loading') });
  const modeBtns = {};
  const mkMode = (m, key) => (modeBtns[m] = h('button', { type: 'button', class: 'seg', 'aria-pressed': String(m === state.mode), dataset: { mode: m },
    title: t('ui.mode.' + m) + ' (' + key + ')', text: t('ui.mode.' + m), onclick: () => setMode(m) }));
  const toolBtns = {};
  const mkTool = (tool, key) => (toolBtns[tool] = h('button', { type: 'button', class: 'seg', 'aria-pressed': String(tool === 'pan'), dataset: { tool },
    title: t('ui.tool.' + tool) + ' (' + key + ')', text: t('ui.tool.' + tool), onclick: () => setTool(tool) }));
  const cellsToggle = h('input', { type: 'checkbox', id: 'show-cells', checked: true });
  const colourToggle = h('input', { type: 'checkbox', id: 'show-colour', checked: true });
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('ui.compare.tools') },
    h('div', { class: 'segs', role: 'group', 'aria-label': t('ui.compare.mode') }, mkMode('split', 's'), mkMode('side', 'b'), mkMode('3d', '3'), mkMode('lands', 'l')),
    h('div', { class: 'segs', role: 'group', 'aria-label': t('ui.compare.tool') }, mkTool('pan', 'h'), mkTool('measure', 'm'), mkTool('mark', 'a')),
    h('label', { class: 'inline' }, cellsToggle, t('ui.cells')),
    h('label', { class: 'inline' }, colourToggle, t('ui.colour_map')),
    h('button', { type: 'button', class: 'ghost', text: t('ui.fit'), title: t('ui.fit') + ' (0)', onclick: () => scope.fit() }),
    status);
  main.classList.add('wide');
  main.append(
    breadcrumb(link('/cases', { text: t('ui.cases') }), runID ? link('/runs/' + runID, { text: t('ui.candidate_list') }) : null, t('ui.comparison')),
    h('div', { class: 'compare' }, toolbar, stage, side));

  const scope = new Microscope2D(stage, {
    labels: {
      roledesc: t('ui.comparison'), view: t('ui.compare.view_label'), divider: t('ui.divider'),
      distance: (d) => t('ui.distance', { Value: um(d, 1) }), length: (l) => um(l, l < 10 ? 1 : 0),
      xy: (x, y) => 'x ' + um(x, 0) + ' · y ' + um(y, 0),
    },
    onMeasure: (d) => { measureOut.textContent = t('ui.distance', { Value: um(d, 1) }); },
    onMark: () => drawMarks(),
  });
  const sideHost = h('div', { class: 'side-host' });
  const landsHost = h('div', { class: 'lands', id: 'lands', hidden: true });
  const glHost = h('div', { class: 'gl-host', id: 'gl', hidden: true });
  stage.append(glHost, landsHost, sideHost);
  let relief = null;

  // Surfaces: decimated first (fast), finer afterwards ----------------------
  const labelA = h('span');
  const labelB = h('span');
  async function surfaceOf(meta, max, pending) {
    if (IMAGE_FORMATS.has((meta.format || '').toLowerCase())) return loadImage(meta, Math.min(2048, max * 4));
    try {
      return await (pending || loadSurface(meta.id, max, ac.signal));
    } catch (e) {
      // The scan record exists (meta): a 404 here means no height map is
      // served for it; its calibrated image still shows in the same view.
      if (e.status !== 404 && e.status !== 422) throw e; // 422: a calibrated 2D image has no height map
      state.imageOnly = true;
      return loadImage(meta, Math.min(2048, max * 4));
    }
  }
  function paintable(s) {
    if (!s) return null;
    if (s.image) return { ...s, canvas: s.image };
    // Shading costs a pass over the map: done again only when the light, colours or range change.
    const key = [state.light.azimuth, state.light.elevation, state.colour, state.relief, ...state.range].join();
    if (s.shadeKey !== key) { s.canvas = shade(s, { ...state.light, colour: state.colour, relief: state.relief, range: state.range }); s.shadeKey = key; }
    return { ...s };
  }
  const surf = { a: null, b: null };
  function repaint() {
    if (state.pair?.kind === 'bullet') for (const s of [surf.a, surf.b]) if (s?.z && !s.flattened) Object.assign(s, flattenAcross(s), { shadeKey: '' });
    state.range = robustRange(surf.a, surf.b);
    scope.setScans(surf.a && { ...paintable(surf.a), label: 'A · ' + (labelA.textContent || '') }, surf.b && { ...paintable(surf.b), label: 'B · ' + (labelB.textContent || '') });
  }
  function registration() {
    const e = state.engineReg, m = state.manual;
    return { theta: e.theta + m.theta, dx: e.dx + m.dx, dy: e.dy + m.dy };
  }
  function applyReg() {
    const r = registration();
    scope.setRegistration(r);
    relief?.setRegistration(r);
    regOut.theta.value = r.theta.toFixed(1); regOut.dx.value = r.dx.toFixed(1); regOut.dy.value = r.dy.toFixed(1);
    regNote.textContent = state.manual.theta || state.manual.dx || state.manual.dy ? t('ui.reg.adjusted') : t('ui.reg.engine');
  }

  try {
    const [a, b] = await Promise.all([surfaceOf(metaA, FIRST_MAX, early[0]), surfaceOf(metaB, FIRST_MAX, early[1])]);
    surf.a = a; surf.b = b;
    phases.heightMaps = performance.now() - started;
  } catch (e) {
    if (e.name === 'AbortError') return () => {};
    stage.append(h('p', { class: 'error', role: 'alert', text: errorText(e) }));
  }

  // Side panel ---------------------------------------------------------
  const scores = h('section', { class: 'scores', id: 'scores' }, h('h2', { text: t('ui.scores') }), h('p', { class: 'muted', text: t('ui.loading') }));
  const regInput = (id, labelKey, unit) => h('label', { class: 'field' }, t(labelKey), h('span', { class: 'unit' },
    h('input', { type: 'number', id, step: unit === '°' ? '0.5' : '1', inputMode: 'decimal', onchange: (e) => {
      const total = parseFloat(e.target.value);
      if (!Number.isFinite(total)) return;
      const key = id.replace('reg-', '');
      state.manual[key] = total - state.engineReg[key];
      applyReg();
    } }), unit));
  const regOut = {};
  const regBox = h('section', { class: 'reg' }, h('h2', { text: t('score.registration') }));
  regOut.theta = regInput('reg-theta', 'ui.reg.theta', '°');
  regOut.dx = regInput('reg-dx', 'ui.reg.dx', 'µm');
  regOut.dy = regInput('reg-dy', 'ui.reg.dy', 'µm');
  const regNote = h('p', { class: 'muted small' });
  regBox.append(regOut.theta, regOut.dx, regOut.dy, regNote,
    h('button', { type: 'button', id: 'reg-reset', text: t('ui.reg.reset'), title: t('ui.reg.reset') + ' (r)', onclick: () => { state.manual = { theta: 0, dx: 0, dy: 0 }; applyReg(); } }));
  for (const k of ['theta', 'dx', 'dy']) regOut[k] = regOut[k].querySelector('input');

  const az = h('input', { type: 'range', id: 'light-az', min: 0, max: 359, value: state.light.azimuth, 'aria-label': t('ui.light.azimuth') });
  const el = h('input', { type: 'range', id: 'light-el', min: 5, max: 90, value: state.light.elevation, 'aria-label': t('ui.light.elevation') });
  const lightOut = h('output', { for: 'light-az light-el' });
  const relieveLight = () => {
    const changed = state.light.azimuth !== +az.value || state.light.elevation !== +el.value;
    state.light = { azimuth: +az.value, elevation: +el.value };
    lightOut.textContent = t('ui.light.value', { Az: deg(state.light.azimuth, 0), El: deg(state.light.elevation, 0) });
    relief?.setOptions({ azimuth: state.light.azimuth, elevation: state.light.elevation });
    if (changed && state.mode !== '3d') repaint();
  };
  let lightTimer;
  for (const r of [az, el]) r.addEventListener('input', () => { clearTimeout(lightTimer); lightTimer = setTimeout(relieveLight, 30); });
  const lightBox = h('section', { class: 'light' }, h('h2', { text: t('ui.light') }),
    h('label', { class: 'field' }, t('ui.light.azimuth'), az), h('label', { class: 'field' }, t('ui.light.elevation'), el), lightOut);

  const conclCtx = { scanA, scanB, candidateID, conclusionID: params.get('conclusion') || '', marks: () => scope.marks, signal: ac.signal,
    // Marked areas of recorded conclusions (once they are no longer blind) are drawn dashed.
    showRecorded: (list) => { scope.recorded = list; scope.draw(); },
    clearMarks: () => { scope.marks.length = 0; drawMarks(); scope.draw(); } };
  const measureOut = h('p', { class: 'measure-out', id: 'measure-out', 'aria-live': 'polite', text: t('ui.measure.hint') });
  const marksList = h('ol', { class: 'marks-list', id: 'marks-list' });
  function drawMarks() {
    clear(marksList, scope.marks.map((m, i) => h('li', {},
      h('span', { text: (m.scan === 'a' ? 'A' : 'B') + ' · ' + t('ui.mark.' + m.kind) + ' · ' + m.points_um.map(([x, y]) => `(${num(x, 0)}; ${num(y, 0)})`).join(' – ') }),
      h('input', { type: 'text', maxLength: 200, value: m.label || '', placeholder: t('ui.mark.label'), 'aria-label': t('ui.mark.label_n', { N: i + 1 }), oninput: (e) => { m.label = e.target.value; scope.draw(); } }),
      h('button', { type: 'button', class: 'ghost', text: t('ui.remove'), 'aria-label': t('ui.mark.remove_n', { N: i + 1 }), onclick: () => { scope.marks.splice(i, 1); drawMarks(); scope.draw(); } }))));
    if (!scope.marks.length) marksList.append(h('li', { class: 'muted', text: t('ui.mark.none') }));
    conclCtx.refreshMarks?.();
  }
  drawMarks();
  const toolsBox = h('section', { class: 'tools' }, h('h2', { text: t('ui.tool.measure') }), measureOut, h('h2', { text: t('ui.marks') }), marksList);

  const concl = h('section', { class: 'conclusion', id: 'conclusion' });
  side.append(h('h1', { class: 'pair-title' }, labelA, ' ↔ ', labelB), scores, concl, regBox, lightBox, toolsBox);

  // Interactive from here: both decimated surfaces are drawn.
  phases.panel = performance.now() - started;
  repaint();
  phases.shaded = performance.now() - started;
  applyReg();
  relieveLight();
  const now = performance.now();
  const interactiveMs = now - started;
  phases.fromClick = now - (window.__tracemark?.navigatedAt ?? started);
  stage.dataset.ready = '1';
  window.__tracemark = { ...(window.__tracemark || {}), interactiveMs, phases, scope };
  status.textContent = t('ui.ready_in', { Ms: int(Math.round(interactiveMs)) });

  // Names, pair view (scores, cells), finer surfaces, conclusion --------------
  describe(metaA, labelA); describe(metaB, labelB);
  function describe(meta, out) {
    api.get('/api/exhibits/' + meta.exhibit_id, { signal: ac.signal }).then(async (ex) => {
      const c = await api.get('/api/cases/' + ex.case_id, { signal: ac.signal });
      out.textContent = c.case.number + ' · ' + ex.label;
      repaint();
    }).catch(() => { out.textContent = meta.original_name || meta.id.slice(0, 8); });
  }

  const pairURL = candidateID && candidate ? `/api/candidates/${encodeURIComponent(candidateID)}/pair-view` : '/api/pair-view' + api.qs({ a: scanA, b: scanB });
  api.get(pairURL, { signal: ac.signal, notFound: candidateID ? 'ui.err.candidate_missing' : 'ui.err.scan_missing' }).then((pv) => {
    state.pair = pv;
    if (pv.cartridge) {
      const r = pv.cartridge.registration || {};
      state.engineReg = { theta: r.theta_deg || 0, dx: r.dx_um || 0, dy: r.dy_um || 0 };
      state.cells = pv.cartridge.cells || [];
      scope.setCells(cellsToggle.checked ? state.cells : []);
      applyReg();
      relief?.set(surf.a, surf.b, registration(), state.cells);
    }
    drawScores(pv);
    modeBtns.lands.hidden = pv.kind !== 'bullet';
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    // 422: images are not compared by the engine; they are aligned by hand.
    clear(scores, h('h2', { text: t('ui.scores') }), h('p', { class: e.status === 422 ? 'notice' : 'error', text: e.status === 422 ? t('ui.pair.images') : errorText(e) }));
  });

  function drawScores(pv) {
    const rows = [];
    if (pv.cartridge) {
      const c = pv.cartridge;
      rows.push([t('score.high_cmc'), int(c.cmc_high)], [t('score.original_cmc'), int(c.cmc_original)], [t('score.cells'), int(c.cells_compared)],
        [t('score.score'), num(c.score, 2)], [t('score.lr'), Number.isFinite(c.log10_lr) ? h('span', {}, '10', h('sup', { text: num(c.log10_lr, 1) })) : t('score.lr.none')],
        [t('score.registration'), t('score.registration.value', { Theta: deg(c.registration?.theta_deg ?? 0), DX: um(c.registration?.dx_um ?? 0), DY: um(c.registration?.dy_um ?? 0) })]);
    }
    if (pv.bullet) {
      const b = pv.bullet;
      rows.push([t('score.sam'), num(b.sam, 2)], [t('score.phase'), int(b.phase) + ' · ' + num(b.margin, 2)], [t('score.pvalue'), b.p_value == null ? '—' : num(b.p_value, 3)],
        [t('score.matched_lands'), int((b.matched || []).length)]);
    }
    if (candidate) rows.push([t('review.col.status'), statusLabel(candidate.review_status)]);
    clear(scores, h('h2', { text: t('ui.scores') }), h('dl', { class: 'meta small' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)])),
      h('p', { class: 'muted small', text: t('conclusion.disclaimer') }));
    if (pv.bullet) drawLands(pv.bullet);
  }

  function drawLands(b) {
    repaint(); // bullets: show the lands without their curvature
    const dx = b.matched?.[0]?.dx_um || b.lands_a?.[0]?.dx_um || 1;
    clear(landsHost, h('h2', { text: t('ui.lands.title', { Phase: int(b.phase) }) }),
      h('p', { class: 'muted small', text: t('ui.lands.legend') }),
      (b.matched || []).map((m) => h('figure', { class: 'land' },
        h('figcaption', {}, t('ui.lands.pair', { A: m.land_a, B: m.land_b }), ' · ', t('ui.lands.score', { Score: num(m.score, 2), CCF: num(m.ccf, 2) }),
          ' · ', h('button', { type: 'button', class: 'ghost', text: t('ui.lands.show'), onclick: () => showLandPair(m) })),
        signaturePlot({ a: m.aligned_a_um, b: m.aligned_b_um, dx: m.dx_um || dx, striae: m.striae, width: 720, height: 140,
          labels: { title: t('ui.lands.pair', { A: m.land_a, B: m.land_b }), um: (v) => um(v, 1) } }))));
  }
  async function showLandPair(m) {
    const la = state.pair.bullet.lands_a.find((l) => l.land === m.land_a), lb = state.pair.bullet.lands_b.find((l) => l.land === m.land_b);
    if (!la || !lb) return;
    try {
      const [a, b] = await Promise.all([loadSurface(la.scan_id, FINE_MAX, ac.signal), loadSurface(lb.scan_id, FINE_MAX, ac.signal)]);
      surf.a = a; surf.b = b;
      state.landPair = true;
      state.engineReg = { theta: 0, dx: -(m.lag_um || 0), dy: 0 };
      labelA.textContent = 'A · ' + t('ui.lands.land', { N: m.land_a }); labelB.textContent = 'B · ' + t('ui.lands.land', { N: m.land_b });
      scope.fitted = false;
      setMode('split');
      repaint(); applyReg();
    } catch (e) { toast(errorText(e), 'error'); }
  }

  if (!IMAGE_FORMATS.has(metaA.format) && !IMAGE_FORMATS.has(metaB.format)) {
    Promise.all([surfaceOf(metaA, FINE_MAX), surfaceOf(metaB, FINE_MAX)]).then(([a, b]) => {
      if (ac.signal.aborted || state.landPair) return;
      surf.a = a; surf.b = b; repaint();
      if (relief) relief.set(a, b, registration(), state.cells);
    }).catch(() => { /* the coarse maps stay */ });
  }

  conclusionPanel(concl, conclCtx);

  // Modes and tools -------------------------------------------------------
  async function setMode(m) {
    if (m === 'lands' && modeBtns.lands.hidden) return;
    state.mode = m;
    for (const [k, b] of Object.entries(modeBtns)) b.setAttribute('aria-pressed', String(k === m));
    scope.root.hidden = m === '3d' || m === 'lands';
    glHost.hidden = m !== '3d';
    landsHost.hidden = m !== 'lands';
    stage.dataset.mode = m;
    if (m === 'split' || m === 'side') { scope.setMode(m); return; }
    if (m === '3d') {
      if (!relief) {
        try {
          const { Relief3D } = await import('../viewer/relief3d.js');
          relief = new Relief3D(glHost, { label: t('ui.mode.3d') });
          if (!relief.hasContext()) throw new Error('no WebGL');
          window.__tracemark.webgl = true;
        } catch (e) {
          clear(glHost, h('p', { class: 'error', role: 'alert', text: t('ui.err.webgl') }));
          window.__tracemark.webgl = false;
          relief = null;
          return;
        }
      }
      relief.setOptions({ ...state.light, colour: state.colour, cells: cellsToggle.checked });
      relief.set(surf.a, surf.b, registration(), state.cells);
      relief.resize();
      relief.canvas.focus();
    }
  }
  function setTool(tool) {
    scope.setTool(tool);
    for (const [k, b] of Object.entries(toolBtns)) b.setAttribute('aria-pressed', String(k === tool));
    if (tool === 'measure') measureOut.textContent = t('ui.measure.hint');
  }
  cellsToggle.addEventListener('change', () => { scope.setCells(cellsToggle.checked ? state.cells : []); relief?.setOptions({ cells: cellsToggle.checked }); });
  colourToggle.addEventListener('change', () => { state.colour = colourToggle.checked; repaint(); relief?.setOptions({ colour: state.colour }); });

  function keys(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName) || document.querySelector('dialog[open]')) return;
    const scopeKeys = e.target === scope.root;
    const k = e.key;
    const adjust = (d) => { e.preventDefault(); Object.keys(d).forEach((x) => { state.manual[x] += d[x]; }); applyReg(); };
    const px = surf.b?.dx || 1;
    if (scopeKeys && e.shiftKey && k.startsWith('Arrow')) {
      e.stopPropagation();
      return adjust({ ArrowLeft: { dx: px }, ArrowRight: { dx: -px }, ArrowUp: { dy: px }, ArrowDown: { dy: -px } }[k]);
    }
    const act = {
      s: () => setMode('split'), b: () => setMode('side'), 3: () => setMode('3d'), l: () => setMode('lands'),
      h: () => setTool('pan'), m: () => setTool('measure'), a: () => setTool('mark'),
      c: () => { cellsToggle.checked = !cellsToggle.checked; cellsToggle.dispatchEvent(new Event('change')); },
      '[': () => adjust({ theta: -0.5 }), ']': () => adjust({ theta: 0.5 }), '{': () => adjust({ theta: -5 }), '}': () => adjust({ theta: 5 }),
      r: () => { state.manual = { theta: 0, dx: 0, dy: 0 }; applyReg(); },
      n: () => concl.querySelector('input, textarea, button')?.focus(),
      Escape: () => setTool('pan'),
    }[k];
    if (act) { e.preventDefault(); act(); }
  }
  // Capture phase, so that Shift+arrows on the microscope move B instead of panning.
  document.addEventListener('keydown', keys, true);
  scope.root.focus({ preventScroll: true });

  return () => {
    ac.abort();
    document.removeEventListener('keydown', keys, true);
    scope.destroy();
    relief?.destroy();
    main.classList.remove('wide');
  };
}

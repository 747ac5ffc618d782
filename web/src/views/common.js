import { h, link, toast } from '../dom.js';
import * as api from '../api.js';
import { t, has, date, num, lang } from '../i18n.js';

export function field(label, value) {
  return [h('dt', { text: label }), h('dd', {}, value == null || value === '' ? '—' : value)];
}

export function kindLabel(k) { return k ? t('kind.' + k) : '—'; }
export function roleLabel(r) { return r ? t('role.' + r) : '—'; }
export function statusLabel(s) { return t('status.' + (s || 'unreviewed')); }
export function caseStatusLabel(s) { return t('ui.case_status.' + (s || 'open')); }

export function thumb(scanID, width, alt) {
  return h('img', { class: 'thumb', loading: 'lazy', decoding: 'async', width, alt: alt || '',
    src: `/api/scans/${encodeURIComponent(scanID)}/thumbnail?width=${width * 2}`,
    onerror: (e) => { e.target.replaceWith(h('span', { class: 'thumb missing', text: t('ui.err.no_scan_short') })); } });
}

export function classText(c) {
  if (!c) return '—';
  const parts = [c.calibre, c.ammunition_make, c.breech_face_class, c.firing_pin_shape, c.lands ? t('ui.lands_n', { N: c.lands }) : '', c.twist].filter(Boolean);
  return parts.join(' · ') || '—';
}

export function caseLink(c) { return c ? link('/cases/' + c.id, { text: c.number || c.id }) : '—'; }

export function table(headers, rows, props = {}) {
  return h('table', props, h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', text: x })))), h('tbody', {}, rows));
}

export function breadcrumb(...items) {
  return h('nav', { class: 'crumbs', 'aria-label': t('ui.breadcrumb') }, items.filter((it) => it != null).map((it, i) => [i ? ' › ' : '', it]));
}

export { date, num };

// reportButton renders the PDF report of url in the user's language.
export function reportButton(url, fallbackName, labelKey = 'ui.report.pdf') {
  const b = h('button', { type: 'button', class: 'report', text: t(labelKey) });
  b.addEventListener('click', async () => {
    if (b.disabled) return;
    b.disabled = true;
    try {
      const r = await api.download(url, { lang: lang() }, fallbackName);
      toast(t('ui.report.saved', { Name: r.name }));
    } catch (e) {
      toast(t(e.key || 'ui.err.unknown'), 'error');
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// userNames resolves user IDs of the agency to names (GET /api/user-names),
// fetched once per page load.
let namesOnce = null;
export function userNames() {
  if (!namesOnce) {
    namesOnce = api.get('/api/user-names').then((r) => new Map((r.items || []).map((u) => [u.id, u.name]))).catch(() => { namesOnce = null; return new Map(); });
  }
  return namesOnce;
}
export function nameOf(names, id) { return id ? names.get(id) || id.slice(0, 8) : '—'; }

// countryName is the country's name in the user's language (ISO 3166-1 code otherwise).
// The region's countries are named by the catalogs; others by the browser,
// in Russian for the Cyrillic-script languages and in English for the
// Latin-script ones where it has no names of its own for the language.
const REGION_NAMES_IN = { en: 'en', ru: 'ru', kk: 'ru', ky: 'ru', tg: 'ru', 'uz-Latn': 'en', tk: 'en' };
export function countryName(code) {
  if (!code || code === 'unknown') return code === 'unknown' ? t('ui.unknown') : '—';
  const up = code.toUpperCase();
  if (has('ui.country.' + up)) return t('ui.country.' + up);
  try { return new Intl.DisplayNames([REGION_NAMES_IN[lang()] || 'en'], { type: 'region' }).of(up) || up; } catch { return up; }
}

// labelled is a form field: a label above its control.
export function labelled(label, control, hint) {
  if (!control.id) control.id = 'f-' + Math.random().toString(36).slice(2, 9);
  const note = hint instanceof Node ? hint : hint ? h('small', { class: 'muted', text: hint }) : null;
  return h('div', { class: 'ff' }, h('label', { for: control.id, text: label }), control, note);
}

// statusBadge shows a status as a coloured badge.
export function badge(text, cls) { return h('span', { class: 'badge ' + (cls || ''), text }); }

// Messages come from the server's catalogs (internal/i18n, served at
// /i18n/<tag>.json): one wording for reports and screens. Texts use Go
// template fields ({{.Name}}); plural messages are objects keyed by CLDR
// category, chosen with Intl.PluralRules. Numbers and dates use Intl in
// the user's locale.

export const LANGUAGES = ['en', 'ru', 'kk', 'uz-Latn', 'ky', 'tg', 'tk'];
export const LANGUAGE_NAMES = { en: 'English', ru: 'Русский', kk: 'Қазақша', 'uz-Latn': 'Oʻzbekcha', ky: 'Кыргызча', tg: 'Тоҷикӣ', tk: 'Türkmençe' };

const state = { lang: 'en', cat: {}, en: {}, nf: new Map() };

async function fetchCatalog(tag) {
  const res = await fetch('/i18n/' + tag + '.json', { credentials: 'same-origin' });
  if (!res.ok) throw new Error('catalog ' + tag + ': HTTP ' + res.status);
  return res.json();
}

export function pickLanguage() {
  const saved = localStorage.getItem('tracemark.lang');
  if (LANGUAGES.includes(saved)) return saved;
  for (const l of navigator.languages || []) {
    const base = l.split('-')[0];
    const hit = LANGUAGES.find((x) => x === l || x.split('-')[0] === base);
    if (hit) return hit;
  }
  return 'en';
}

export async function setLanguage(tag) {
  if (!LANGUAGES.includes(tag)) tag = 'en';
  const [cat, en] = await Promise.all([fetchCatalog(tag), tag === 'en' ? null : (state.en.__loaded ? state.en : fetchCatalog('en'))]);
  state.lang = tag;
  state.cat = cat;
  state.en = tag === 'en' ? cat : en;
  state.en.__loaded = true;
  state.nf.clear();
  localStorage.setItem('tracemark.lang', tag);
  document.documentElement.lang = tag;
}

export function lang() { return state.lang; }

function fill(s, data) {
  return s.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, k) => (data && data[k] != null ? String(data[k]) : ''));
}

// t returns message id filled with data; a missing message shows as [id].
export function t(id, data) {
  let s = state.cat[id] ?? state.en[id];
  if (s == null) return '[' + id + ']';
  if (typeof s === 'object') s = s.other;
  return fill(s, data);
}

export function has(id) { return id in state.cat || id in state.en; }

// tc returns the plural message id for count n ({{.Count}} is n formatted).
export function tc(id, n, data) {
  const m = state.cat[id] ?? state.en[id];
  if (m == null) return '[' + id + ']';
  if (typeof m === 'string') return fill(m, { ...data, Count: int(n) });
  const cat = new Intl.PluralRules(locale()).select(n);
  return fill(m[cat] ?? m.other, { ...data, Count: int(n) });
}

// locale is the Intl locale of the language. Where the browser has no
// data for it, Russian conventions stand in (same separators and numeric
// dates as the reports: 1 234,5 and 27.11.2026).
export function locale() {
  const want = state.lang;
  return Intl.NumberFormat.supportedLocalesOf([want]).length ? want : (want === 'en' ? 'en' : 'ru');
}

function nf(decimals) {
  const key = decimals ?? 'int';
  if (!state.nf.has(key)) {
    state.nf.set(key, new Intl.NumberFormat(locale(), decimals == null ? { maximumFractionDigits: 0 } : { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
  }
  return state.nf.get(key);
}

export function int(n) { return Number.isFinite(n) ? nf(null).format(n) : '—'; }
export function num(v, decimals = 2) { return Number.isFinite(v) ? nf(decimals).format(v === 0 ? 0 : v) : '—'; }

function parts(d, opts) {
  const o = {};
  for (const p of new Intl.DateTimeFormat(locale(), opts).formatToParts(d)) o[p.type] = p.value;
  return o;
}

// date: ISO 8601 in English (no day/month confusion), the locale's numeric date otherwise.
export function date(v) {
  if (!v) return '—';
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 2) return '—';
  if (state.lang === 'en') {
    const p = parts(d, { year: 'numeric', month: '2-digit', day: '2-digit' });
    return `${p.year}-${p.month}-${p.day}`;
  }
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function dateTime(v) {
  if (!v) return '—';
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 2) return '—';
  const p = parts(d, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return date(d) + ' ' + p.hour + ':' + p.minute;
}

export function um(v, decimals = 1) { return t('unit.um', { Value: num(v, decimals) }); }
export function deg(v, decimals = 1) { return t('unit.deg', { Value: num(v, decimals) }); }

// tracemark examiner workstation: shell, router, sign-in state, language
// switch and global keyboard shortcuts. Views live in views/; each renders
// into <main> and may return a cleanup function.

import { h, clear, link, toast } from './dom.js';
import * as api from './api.js';
import { t, setLanguage, pickLanguage, LANGUAGES, LANGUAGE_NAMES, lang } from './i18n.js';
import { signIn } from './views/signin.js';
import { myWork } from './views/mywork.js';
import { casesList, caseDetail } from './views/cases.js';
import { exhibitDetail } from './views/exhibit.js';
import { candidateList } from './views/candidates.js';
import { comparison } from './views/compare.js';
import { openHelp } from './views/help.js';
import { firearmsList, firearmDetail, firearmEdit } from './views/firearms.js';
import { tracesList, traceDetail, traceNew } from './views/traces.js';
import { statistics } from './views/stats.js';

const app = { me: null, cleanup: null, expiredShown: false };

const routes = [
  [/^\/signin$/, signIn, { public: true }],
  [/^\/$/, myWork],
  [/^\/cases$/, casesList],
  [/^\/cases\/([\w-]+)$/, caseDetail],
  [/^\/exhibits\/([\w-]+)$/, exhibitDetail],
  [/^\/runs\/([\w-]+)$/, candidateList],
  [/^\/compare\/([\w-]+)\/([\w-]+)$/, comparison],
  [/^\/firearms$/, firearmsList],
  [/^\/firearms\/new$/, firearmEdit],
  [/^\/firearms\/([\w-]+)\/edit$/, (main, id) => firearmEdit(main, id)],
  [/^\/firearms\/([\w-]+)$/, firearmDetail],
  [/^\/traces$/, tracesList],
  [/^\/traces\/new$/, traceNew],
  [/^\/traces\/([\w-]+)$/, traceDetail],
  [/^\/statistics$/, statistics],
];

export function navigate(path, { replace = false } = {}) {
  window.__tracemark = { ...(window.__tracemark || {}), navigatedAt: performance.now() };
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  render();
}

export function currentUser() { return app.me; }

async function loadMe() {
  try {
    const me = await api.get('/api/me', { quiet401: true });
    api.setCSRF(api.csrfFrom(me));
    app.me = me;
  } catch (e) {
    app.me = null;
    if (e.status !== 401) throw e;
  }
  return app.me;
}

export async function afterSignIn(me) {
  app.me = me;
  app.expiredShown = false;
  await userLanguage(me);
  const back = sessionStorage.getItem('tracemark.back');
  sessionStorage.removeItem('tracemark.back');
  navigate(back && back !== '/signin' ? back : '/', { replace: true });
}

// userLanguage switches to the language kept on the user's account (set
// with PATCH /api/me from any browser); a choice made here before the
// account kept it is moved onto the account once.
async function userLanguage(me) {
  let want = me?.user?.locale;
  const old = localStorage.getItem('tracemark.lang.' + userID(me));
  if (!want && LANGUAGES.includes(old)) {
    want = old;
    saveLanguage(old).catch(() => {});
  }
  localStorage.removeItem('tracemark.lang.' + userID(me));
  if (want && want !== lang() && LANGUAGES.includes(want)) await setLanguage(want);
}

// saveLanguage keeps tag on the account.
async function saveLanguage(tag) {
  const me = await api.request('PATCH', '/api/me', { locale: tag });
  if (me?.user) { app.me = { ...app.me, user: me.user }; }
}

// can reports whether the signed-in user's roles allow an operation of the
// API (its operation ID); the server checks again on every request.
export function can(op) { return !!app.me?.allowed?.includes(op); }
export function myAgency() { return app.me?.agency || {}; }

export function userID(me) { return me?.user?.id || ''; }
export function userName(me) { return me?.user?.display_name || me?.user?.username || ''; }
export function userRoles(me) { return me?.user?.roles || []; }

export async function signOut() {
  try { await api.signOut(); } catch { /* the session may be gone already */ }
  app.me = null;
  navigate('/signin', { replace: true });
}

function header() {
  const top = document.getElementById('top');
  const langSel = h('select', { id: 'lang', 'aria-label': t('ui.language'), onchange: async (e) => {
    const tag = e.target.value;
    await setLanguage(tag);
    if (app.me) {
      try { await saveLanguage(tag); } catch (err) { toast(errorText(err), 'error'); }
    }
    render();
  } }, LANGUAGES.map((l) => h('option', { value: l, selected: l === lang(), text: LANGUAGE_NAMES[l] })));
  clear(top,
    h('nav', { class: 'bar', 'aria-label': t('ui.nav') },
      link('/', { class: 'brand', text: 'tracemark' }),
      app.me && [
        link('/', { text: t('ui.mywork'), 'aria-current': location.pathname === '/' ? 'page' : null }),
        can('list-cases') && link('/cases', { text: t('ui.cases'), 'aria-current': location.pathname.startsWith('/cases') ? 'page' : null }),
        can('list-firearms') && link('/firearms', { text: t('ui.fa.title'), 'aria-current': location.pathname.startsWith('/firearms') ? 'page' : null }),
        can('list-trace-requests') && link('/traces', { text: t('ui.tr.title'), 'aria-current': location.pathname.startsWith('/traces') ? 'page' : null }),
        can('tracing-stats') && link('/statistics', { text: t('ui.st.title'), 'aria-current': location.pathname.startsWith('/statistics') ? 'page' : null }),
      ],
      h('span', { class: 'spacer' }),
      langSel,
      h('button', { type: 'button', class: 'ghost', onclick: openHelp, title: t('ui.help.title') + ' (?)', text: t('ui.help') }),
      app.me && [
        h('span', { class: 'who', text: userName(app.me) }),
        h('button', { type: 'button', class: 'ghost', id: 'signout', onclick: signOut, text: t('ui.signout') }),
      ]));
  document.getElementById('skip-link').textContent = t('ui.skip');
}

export async function render() {
  if (app.cleanup) { try { app.cleanup(); } catch { /* view already gone */ } app.cleanup = null; }
  const main = document.getElementById('main');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  let match = null;
  for (const [re, view, opts] of routes) {
    const m = path.match(re);
    if (m) { match = { view, opts: opts || {}, params: m.slice(1) }; break; }
  }
  if (!match) {
    header();
    clear(main, h('h1', { text: t('ui.err.no_page') }), link('/', { text: t('ui.mywork') }));
    return;
  }
  if (!match.opts.public && !app.me) {
    sessionStorage.setItem('tracemark.back', location.pathname + location.search);
    history.replaceState(null, '', '/signin');
    return render();
  }
  header();
  clear(main);
  document.title = 'tracemark';
  try {
    app.cleanup = (await match.view(main, ...match.params)) || null;
  } catch (e) {
    showError(main, e);
  }
}

export function errorText(e) {
  if (e instanceof api.ApiError) {
    const base = t(e.key);
    const inc = e.problem?.detail && e.status >= 500 ? ' ' + e.problem.detail : '';
    return base + inc;
  }
  return t('ui.err.unknown') + ' ' + (e?.message || '');
}

export function showError(el, e) {
  if (e?.name === 'AbortError') return;
  el.append(h('p', { class: 'error', role: 'alert', text: errorText(e) }));
}

function expired() {
  if (app.expiredShown) return;
  app.expiredShown = true;
  app.me = null;
  sessionStorage.setItem('tracemark.back', location.pathname + location.search);
  toast(t('ui.err.session_expired'), 'error');
  navigate('/signin', { replace: true });
}

let pendingG = false;
function shortcuts(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const tag = e.target.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || e.target.isContentEditable) return;
  if (e.key === '?') { e.preventDefault(); openHelp(); return; }
  if (!app.me) return;
  if (pendingG) {
    pendingG = false;
    if (e.key === 'w') navigate('/');
    if (e.key === 'c') navigate('/cases');
    if (e.key === 'f' && can('list-firearms')) navigate('/firearms');
    if (e.key === 't' && can('list-trace-requests')) navigate('/traces');
    if (e.key === 's' && can('tracing-stats')) navigate('/statistics');
    return;
  }
  if (e.key === 'g') { pendingG = true; setTimeout(() => { pendingG = false; }, 1200); return; }
  if (e.key === '/') {
    const s = document.querySelector('[data-search]');
    if (s) { e.preventDefault(); s.focus(); }
  }
}

async function boot() {
  await setLanguage(pickLanguage());
  api.onExpired(expired);
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-nav]');
    if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  document.addEventListener('keydown', shortcuts);
  try {
    const me = await loadMe();
    if (me) await userLanguage(me);
  } catch (e) {
    toast(errorText(e), 'error');
  }
  render();
}

boot();

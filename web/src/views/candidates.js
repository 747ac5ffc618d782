import { h, clear, link, toast } from '../dom.js';
import { t, tc, date, num, int } from '../i18n.js';
import * as api from '../api.js';
import { errorText } from '../main.js';
import { statusLabel, thumb, classText, breadcrumb, reportButton } from './common.js';

const MARKS = [['viewed', 'v'], ['potential_hit', 'p'], ['excluded', 'x']];

// candidateList is the ranked list of one correlation run, with filters by
// calibre, date, agency and review status, and the examiner's triage marks.
export async function candidateList(main, runID) {
  const run = await api.get('/api/runs/' + encodeURIComponent(runID), { notFound: 'ui.err.run_missing' });
  const [list, qscan] = await Promise.all([
    api.get('/api/runs/' + encodeURIComponent(runID) + '/candidates'),
    api.get('/api/scans/' + run.query_scan, { notFound: 'ui.err.scan_missing' }).catch(() => null),
  ]);
  const qex = qscan ? await api.get('/api/exhibits/' + qscan.exhibit_id).catch(() => null) : null;
  const qcase = qex ? await api.get('/api/cases/' + qex.case_id).then((r) => r.case).catch(() => null) : null;
  let items = list.items || [];
  document.title = t('ui.candidate_list') + ' — tracemark';

  const uniq = (f) => [...new Set(items.map(f).filter(Boolean))].sort();
  const calibre = h('select', { id: 'f-calibre', 'aria-label': t('col.calibre') }, h('option', { value: '', text: t('ui.filter.any_calibre') }),
    uniq((c) => c.exhibit?.class?.calibre).map((v) => h('option', { value: v, text: v })));
  const agency = h('select', { id: 'f-agency', 'aria-label': t('ui.agency') }, h('option', { value: '', text: t('ui.filter.any_agency') }),
    uniq((c) => c.agency_id).map((v) => h('option', { value: v, text: v === run.agency_id ? t('ui.own_agency') : v.slice(0, 8) })));
  const from = h('input', { type: 'date', id: 'f-from', 'aria-label': t('ui.filter.from') });
  const to = h('input', { type: 'date', id: 'f-to', 'aria-label': t('ui.filter.to') });
  const status = h('select', { id: 'f-status', 'aria-label': t('ui.filter.status') }, h('option', { value: '', text: t('ui.filter.any_status') }),
    ['unreviewed', 'viewed', 'potential_hit', 'confirmed', 'excluded'].map((s) => h('option', { value: s, text: statusLabel(s) })));
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const dateOf = (c) => c.case?.occurred_at || c.case?.received_at || c.case?.created_at;

  function visible() {
    return items.filter((c) => (!calibre.value || c.exhibit?.class?.calibre === calibre.value) &&
      (!agency.value || c.agency_id === agency.value) && (!status.value || (c.review_status || 'unreviewed') === status.value) &&
      (!from.value || (dateOf(c) || '') >= from.value) && (!to.value || (dateOf(c) || '').slice(0, 10) <= to.value));
  }
  function compareURL(c) { return `/compare/${run.query_scan}/${c.scan}?candidate=${c.id}&run=${run.id}`; }

  async function mark(c, st, row) {
    if (row.dataset.busy) return;
    row.dataset.busy = '1';
    row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await api.post('/api/candidates/' + c.id + '/reviews', { status: st }, { notFound: 'ui.err.candidate_missing' });
      c.review_status = st;
      toast(t('ui.marked', { Rank: c.rank, Status: statusLabel(st) }));
    } catch (e) {
      toast(errorText(e), 'error');
      if (e.status === 404) items = items.filter((x) => x !== c);
    } finally {
      delete row.dataset.busy;
      draw(c.id);
    }
  }

  function draw(focusID) {
    const shown = visible();
    count.textContent = t('ui.shown_of', { Shown: tc('plural.candidates', shown.length), All: int(items.length) });
    clear(tbody, shown.map((c) => {
      const reg = c.registration || {};
      const st = c.review_status || 'unreviewed';
      const row = h('tr', { class: 'cand st-' + st, tabindex: -1, dataset: { id: c.id } },
        h('td', { class: 'num', text: int(c.rank) }),
        h('td', {}, thumb(c.scan, 64, '')),
        h('td', {}, link(compareURL(c), { class: 'open-compare', text: t('ui.compare'), 'aria-label': t('ui.compare_rank', { Rank: c.rank }) })),
        h('td', {}, c.case ? link('/cases/' + c.case.id, { text: c.case.number }) : '—', h('br'), h('span', { class: 'muted', text: c.exhibit?.label || '' })),
        h('td', { text: classText(c.exhibit?.class) }),
        h('td', { text: date(dateOf(c)) }),
        h('td', { class: 'num', text: num(c.score, 2) }),
        h('td', { class: 'num', text: reg.kind === 'cartridge' && reg.cells ? `${int(reg.cmc)} / ${int(reg.cells)}` : (reg.kind === 'bullet' ? num(reg.sam ?? c.score, 2) : '—') }),
        h('td', { class: 'status', text: statusLabel(st) }),
        h('td', { class: 'marks' }, MARKS.map(([m, key]) => h('button', { type: 'button', class: 'mark m-' + m, 'aria-pressed': String(st === m),
          title: statusLabel(m) + ' (' + key + ')', text: statusLabel(m), onclick: (e) => mark(c, m, e.target.closest('tr')) }))));
      row._cand = c;
      return row;
    }));
    if (focusID) tbody.querySelector(`tr[data-id="${focusID}"] .open-compare`)?.focus();
  }

  // j/k move between rows; Enter opens the comparison; v, p, x mark.
  function keys(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName)) return;
    const rows = [...tbody.rows];
    const cur = e.target.closest?.('tr.cand');
    const i = rows.indexOf(cur);
    if (e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      const next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + (e.key === 'j' ? 1 : -1)))];
      next?.querySelector('.open-compare')?.focus();
      return;
    }
    if (!cur) return;
    const m = MARKS.find(([, k]) => k === e.key);
    if (m) { e.preventDefault(); mark(cur._cand, m[0], cur); }
  }
  document.addEventListener('keydown', keys);
  [calibre, agency, status, from, to].forEach((el) => el.addEventListener('change', () => draw()));

  main.append(
    breadcrumb(link('/cases', { text: t('ui.cases') }), qcase ? link('/cases/' + qcase.id, { text: qcase.number }) : '…',
      qex ? link('/exhibits/' + qex.id, { text: qex.label }) : '…', t('ui.candidate_list')),
    h('div', { class: 'query' },
      qscan ? thumb(qscan.id, 96, t('ui.query_scan')) : h('span', { class: 'thumb missing', text: t('ui.err.no_scan_short') }),
      h('div', {},
        h('h1', { text: t('ui.candidate_list') }),
        h('p', {}, t('review.searched', { Scans: tc('plural.scans', run.stats?.corpus ?? 0), Date: date(run.finished_at || run.queued_at) }),
          ' · ', t('ui.run_status.' + run.status), ' · ', run.stats?.engine || ''),
        qscan && h('p', { class: 'muted', text: t('review.query') + ': ' + (qscan.original_name || qscan.id) + (qex ? ' · ' + classText(qex.class) : '') }))),
    h('div', { class: 'filters' }, calibre, h('label', { class: 'inline' }, t('ui.filter.from'), from), h('label', { class: 'inline' }, t('ui.filter.to'), to), agency, status),
    count,
    h('table', { class: 'list candidates', id: 'candidates' },
      h('thead', {}, h('tr', {}, [t('review.col.rank'), '', t('ui.compare'), t('review.col.case'), t('col.calibre'), t('field.occurred'),
        t('review.col.score'), t('ui.cmc'), t('review.col.status'), t('review.col.decision')].map((x) => h('th', { scope: 'col', text: x })))),
      tbody),
    h('p', { class: 'muted small', text: t('ui.candidates.keys') }),
    run.status === 'done' ? h('p', {}, reportButton('/api/runs/' + encodeURIComponent(run.id) + '/review-sheet', 'review-' + run.id.slice(0, 8) + '.pdf', 'ui.report.review_sheet')) : null);
  draw();
  tbody.querySelector('.open-compare')?.focus();
  prefetch(run, items);
  return () => document.removeEventListener('keydown', keys);
}

// prefetch warms what the examiner opens next (docs/api-workstation.md):
// the height maps of the query and of the top candidates (cached by the
// browser) and their pair views (cached by the server), one at a time so
// that the list itself stays quick.
async function prefetch(run, items) {
  const top = [...items].sort((a, b) => a.rank - b.rank).slice(0, 3);
  const urls = [`/api/scans/${run.query_scan}/surface?max=256&encoding=u16`];
  for (const c of top) urls.push(`/api/scans/${c.scan}/surface?max=256&encoding=u16`, `/api/candidates/${c.id}/pair-view`);
  for (const u of urls) {
    try { await fetch(u, { credentials: 'same-origin', priority: 'low' }); } catch { return; }
  }
}

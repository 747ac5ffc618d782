import { h, clear, link, debounce } from '../dom.js';
import { t, tc, date } from '../i18n.js';
import * as api from '../api.js';
import { showError } from '../main.js';
import { field, kindLabel, roleLabel, classText, caseStatusLabel, table, breadcrumb, reportButton } from './common.js';

export async function casesList(main) {
  document.title = t('ui.cases') + ' — tracemark';
  const params = new URLSearchParams(location.search);
  const q = h('input', { type: 'search', id: 'case-q', value: params.get('q') || '', 'data-search': '1', placeholder: t('ui.search.cases'), 'aria-label': t('ui.search.cases') });
  const status = h('select', { id: 'case-status', 'aria-label': t('ui.filter.status') },
    h('option', { value: '', text: t('ui.filter.any_status') }),
    ['open', 'closed', 'archived'].map((s) => h('option', { value: s, text: caseStatusLabel(s), selected: params.get('status') === s })));
  const offence = h('input', { id: 'case-offence', value: params.get('offence') || '', placeholder: t('field.offence'), 'aria-label': t('field.offence') });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true, text: t('ui.more') });
  let cursor = '';
  let items = [];
  let ac;

  async function load(append) {
    ac?.abort();
    ac = new AbortController();
    const url = '/api/cases' + api.qs({ q: q.value.trim(), status: status.value, limit: 50, cursor: append ? cursor : '' });
    history.replaceState(null, '', '/cases' + api.qs({ q: q.value.trim(), status: status.value, offence: offence.value.trim() }));
    try {
      const res = await api.get(url, { signal: ac.signal });
      items = append ? items.concat(res.items || []) : (res.items || []);
      cursor = res.next_cursor || '';
      draw();
    } catch (e) { showError(body, e); }
  }
  function draw() {
    const off = offence.value.trim().toLowerCase();
    const shown = items.filter((c) => !off || (c.offence || '').toLowerCase().includes(off));
    count.textContent = tc('ui.plural.cases', shown.length);
    more.hidden = !cursor;
    clear(body, shown.length ? table(
      [t('field.case_number'), t('field.case_title'), t('field.offence'), t('field.place'), t('field.occurred'), t('ui.filter.status')],
      shown.map((c) => h('tr', {},
        h('td', {}, link('/cases/' + c.id, { text: c.number })),
        h('td', { text: c.title || '—' }), h('td', { text: c.offence || '—' }), h('td', { text: c.place_name || '—' }),
        h('td', { text: date(c.occurred_at) }), h('td', { text: caseStatusLabel(c.status) }))), { class: 'list', id: 'cases-table' })
      : h('p', { class: 'empty', text: t('ui.empty.cases') }));
  }
  const reload = debounce(() => load(false), 250);
  q.addEventListener('input', reload);
  status.addEventListener('change', () => load(false));
  offence.addEventListener('input', draw);
  more.addEventListener('click', () => load(true));
  main.append(h('h1', { text: t('ui.cases') }),
    h('div', { class: 'filters', role: 'search' }, q, status, offence), count, body, more);
  await load(false);
  return () => ac?.abort();
}

export async function caseDetail(main, id) {
  const res = await api.get('/api/cases/' + encodeURIComponent(id), { notFound: 'ui.err.case_missing' });
  const c = res.case;
  document.title = c.number + ' — tracemark';
  const exhibits = res.exhibits || [];
  const links = res.links || [];
  main.append(
    breadcrumb(link('/cases', { text: t('ui.cases') }), c.number),
    h('h1', { text: t('ui.case') + ' ' + c.number }),
    h('dl', { class: 'meta' },
      field(t('field.case_title'), c.title), field(t('field.offence'), c.offence), field(t('field.place'), c.place_name),
      field(t('field.occurred'), date(c.occurred_at)), field(t('field.received'), date(c.received_at)),
      field(t('ui.filter.status'), caseStatusLabel(c.status)), field(t('conclusion.notes'), c.notes)),
    h('h2', { text: tc('plural.exhibits', exhibits.length) }),
    exhibits.length ? table([t('col.exhibit'), t('col.kind'), t('col.role'), t('col.calibre'), t('col.description')],
      exhibits.map((e) => h('tr', {},
        h('td', {}, link('/exhibits/' + e.id, { text: e.label || e.id })), h('td', { text: kindLabel(e.kind) }),
        h('td', { text: roleLabel(e.role) }), h('td', { text: classText(e.class) }), h('td', { text: e.description || '—' }))), { class: 'list' })
      : h('p', { class: 'empty', text: t('ui.empty.exhibits') }),
    h('h2', { text: t('ui.linked_cases') }),
    links.length ? h('ul', { class: 'links', id: 'case-links' }, links.map((l) => {
      const other = l.case_a === c.id ? l.case_b : l.case_a;
      const a = link('/cases/' + other, { text: t('ui.linked_case', { ID: other.slice(0, 8) }) });
      api.get('/api/cases/' + other).then((o) => { a.textContent = o.case.number + ' · ' + (o.case.title || ''); }).catch(() => {});
      return h('li', {}, a, ' · ', date(l.created_at), l.conclusion_id ? ' · ' + t('ui.link.by_conclusion') : '');
    })) : h('p', { class: 'empty', text: t('ui.empty.links') }),
    h('p', {}, reportButton('/api/cases/' + encodeURIComponent(c.id) + '/report', c.number + '.pdf')));
}

import { h, link } from '../dom.js';
import { t, tc, has, date, dateTime, um, num } from '../i18n.js';
import * as api from '../api.js';
import { field, kindLabel, roleLabel, classText, thumb, table, breadcrumb } from './common.js';
import { can } from '../main.js';
import { federationPanel } from './federation.js';

export async function exhibitDetail(main, id) {
  const ex = await api.get('/api/exhibits/' + encodeURIComponent(id), { notFound: 'ui.err.exhibit_missing' });
  const [cs, scans] = await Promise.all([
    api.get('/api/cases/' + ex.case_id).catch(() => null),
    api.get('/api/exhibits/' + encodeURIComponent(id) + '/scans'),
  ]);
  const items = scans.items || [];
  document.title = (ex.label || '') + ' — tracemark';
  const scanList = h('div', { class: 'scans' });
  main.append(
    breadcrumb(link('/cases', { text: t('ui.cases') }), cs ? link('/cases/' + cs.case.id, { text: cs.case.number }) : '…', ex.label),
    h('h1', { text: t('col.exhibit') + ' ' + ex.label + (cs ? ' · ' + cs.case.number : '') }),
    h('dl', { class: 'meta' },
      field(t('col.kind'), kindLabel(ex.kind)), field(t('col.role'), roleLabel(ex.role)),
      field(t('ui.class'), classText(ex.class)), field(t('col.description'), ex.description),
      field(t('ui.collected'), date(ex.collected_at))),
    h('h2', { text: tc('plural.scans', items.length) }), scanList);
  for (const s of items) {
    const runs = h('ul', { class: 'runs' });
    scanList.append(h('article', { class: 'card scan' },
      thumb(s.id, 160, t('ui.scan_of', { Name: s.original_name || s.id })),
      h('div', {},
        h('h3', { text: s.original_name || s.id }),
        h('dl', { class: 'meta small' },
          field(t('ui.format'), (s.format || '').toUpperCase()), field(t('col.instrument'), s.instrument),
          field(t('col.resolution'), s.resolution_um ? um(s.resolution_um, 2) : '—'),
          field(t('ui.size'), t('ui.bytes', { N: num(s.size / 1024, 0) })),
          field(t('ui.acquired'), dateTime(s.acquired_at || s.created_at)),
          field(t('col.sha256'), h('code', { text: (s.original || '').replace(/^sha256-/, '').slice(0, 16) + '…', title: s.original })),
          s.warnings?.length ? field(t('ui.warnings'), s.warnings.join('; ')) : null),
        h('h4', { text: t('ui.candidate_lists') }), runs,
        can('federated-search') && !(s.format || '').match(/^(png|jpe?g|tiff?|image)/i) ? federationPanel(s) : null)));
    api.get('/api/runs' + api.qs({ scan: s.id })).then((r) => {
      const rs = r.items || [];
      if (!rs.length) runs.append(h('li', { class: 'muted', text: t('ui.empty.runs') }));
      for (const run of rs) {
        runs.append(h('li', {}, link('/runs/' + run.id, { text: t('ui.run_of', { Date: dateTime(run.queued_at) }) }), ' · ', t('ui.run_status.' + run.status)));
      }
    }).catch(() => runs.append(h('li', { class: 'error', text: t('ui.err.unknown') })));
  }
  main.append(h('h2', { text: t('section.items') }), await custody(id));
}

// custody lists the chain-of-custody events of the exhibit (list-custody).
async function custody(id) {
  try {
    const res = await api.get('/api/exhibits/' + encodeURIComponent(id) + '/custody');
    const ev = res.items || [];
    if (!ev.length) return h('p', { class: 'empty', text: t('ui.empty.custody') });
    return table([t('col.date_time'), t('col.action'), t('col.by'), t('col.counterpart'), t('col.note')],
      ev.map((e) => h('tr', {}, h('td', { text: dateTime(e.at) }), h('td', { text: has('custody.' + e.kind) ? t('custody.' + e.kind) : e.kind }),
        h('td', { text: e.by_name || (e.by || '').slice(0, 8) }), h('td', { text: e.counterpart || '—' }), h('td', { text: e.notes || '—' }))), { class: 'list', id: 'custody' });
  } catch (e) {
    return h('p', { class: 'empty', text: e.status === 404 ? t('ui.empty.custody') : t(e.key || 'ui.err.unknown') });
  }
}

import { h, link } from '../dom.js';
import { t, tc, dateTime } from '../i18n.js';
import * as api from '../api.js';
import { thumb } from './common.js';
import { work } from '../work.js';

// myWork lists what waits for the user: new candidate lists, blind
// verifications assigned to them, and conclusions sent back.
export async function myWork(main) {
  document.title = t('ui.mywork') + ' — tracemark';
  const lists = h('div', { id: 'work-lists' });
  const verif = h('div', { id: 'work-verifications' });
  main.append(h('h1', { text: t('ui.mywork') }),
    h('section', { class: 'card' }, h('h2', { text: t('ui.work.verifications') }), verif),
    h('section', { class: 'card' }, h('h2', { text: t('ui.work.lists') }), lists));

  work.verifications().then((items) => {
    if (!items.length) { verif.append(h('p', { class: 'empty', text: t('ui.empty.verifications') })); return; }
    verif.append(h('ul', { class: 'worklist' }, items.map((v) => h('li', {},
      link(v.href, { class: 'open-verification', text: v.title }), ' · ', h('span', { class: 'muted', text: dateTime(v.at) })))));
  }).catch((e) => verif.append(h('p', { class: 'empty', text: e.status === 404 ? t('ui.empty.verifications') : t(e.key || 'ui.err.unknown') })));

  const res = await api.get('/api/runs' + api.qs({ status: 'done', limit: 30 }));
  const runs = res.items || [];
  if (!runs.length) { lists.append(h('p', { class: 'empty', text: t('ui.empty.runs') })); return; }
  const ul = h('ul', { class: 'runlist' });
  lists.append(ul);
  for (const r of runs) {
    const li = h('li', { class: 'run' }, thumb(r.query_scan, 48, ''),
      h('div', {}, link('/runs/' + r.id, { class: 'open-run', text: t('ui.run_of', { Date: dateTime(r.finished_at || r.queued_at) }) }),
        h('div', { class: 'muted small run-info' }, tc('plural.candidates', r.stats?.compared ?? 0))));
    ul.append(li);
    describe(r, li.querySelector('.run-info'));
  }
}

// describe adds the query's case and exhibit to a run line.
async function describe(run, el) {
  try {
    const scan = await api.get('/api/scans/' + run.query_scan);
    const ex = await api.get('/api/exhibits/' + scan.exhibit_id);
    const c = await api.get('/api/cases/' + ex.case_id);
    el.prepend(c.case.number + ' · ' + ex.label + ' · ' + (scan.original_name || '') + ' · ');
  } catch { /* the line stays without the description */ }
}

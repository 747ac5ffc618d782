import { h, link } from '../dom.js';
import { t, tc, date, dateTime, int } from '../i18n.js';
import * as api from '../api.js';
import { can } from '../main.js';
import { thumb } from './common.js';
import { work } from '../work.js';

// myWork lists what waits for the user (GET /api/my-work): blind
// verifications, disagreements to resolve, their own open conclusions and
// new candidate lists.
export async function myWork(main) {
  document.title = t('ui.mywork') + ' — tracemark';
  if (!can('get-my-work')) {
    // An administrator has no casework: offer what the role may open.
    main.append(h('h1', { text: t('ui.mywork') }), h('ul', { class: 'worklist', id: 'work-admin' },
      can('tracing-stats') ? h('li', {}, link('/statistics', { text: t('ui.st.title') })) : null,
      can('list-firearms') ? h('li', {}, link('/firearms', { text: t('ui.fa.title') })) : null));
    return;
  }
  const [w, reminders] = await Promise.all([work.myWork(),
    can('trace-reminders') ? api.get('/api/trace-reminders').then((r) => r.items || []).catch(() => []) : []]);
  const conclusions = (items, cls, empty) => (items?.length
    ? h('ul', { class: 'worklist ' + cls }, items.map((c) => h('li', {},
      link(work.pairHref(c), { class: 'open-conclusion', text: conclusionTitle(c) }), ' · ',
      h('span', { class: 'muted', text: t('ui.concl.status.' + c.status) + ' · ' + dateTime(c.recorded_at) }))))
    : h('p', { class: 'empty', text: t(empty) }));
  const lists = w.candidate_lists || [];
  main.append(h('h1', { text: t('ui.mywork') }),
    h('section', { class: 'card', id: 'work-verifications' }, h('h2', { text: t('ui.work.verifications') }),
      conclusions(w.verifications, 'verifications', 'ui.empty.verifications')),
    w.disagreements?.length ? h('section', { class: 'card', id: 'work-disagreements' }, h('h2', { text: t('ui.work.disagreements') }),
      conclusions(w.disagreements, 'disagreements', 'ui.empty.verifications')) : null,
    w.my_open_conclusions?.length ? h('section', { class: 'card', id: 'work-mine' }, h('h2', { text: t('ui.work.mine') }),
      conclusions(w.my_open_conclusions, 'mine', 'ui.empty.verifications')) : null,
    reminders.length ? h('section', { class: 'card', id: 'work-traces' }, h('h2', { text: t('ui.work.traces') }),
      h('ul', { class: 'worklist' }, reminders.map((r) => h('li', { class: r.kind === 'overdue' ? 'overdue' : null },
        link('/traces/' + r.request_id, { text: t('ui.work.trace_due', { Kind: t(r.kind === 'overdue' ? 'ui.tr.overdue' : 'ui.tr.due_soon'), Date: date(r.deadline) }) }))))) : null,
    h('section', { class: 'card', id: 'work-lists' }, h('h2', { text: t('ui.work.lists') }),
      lists.length ? h('ul', { class: 'runlist' }, lists.map((l) => h('li', { class: 'run' },
        thumb(l.run.query_scan, 48, ''),
        h('div', {},
          link('/runs/' + l.run.id, { class: 'open-run', text: (l.query_case_number || '') + ' · ' + (l.query_exhibit_label || '') }),
          h('div', { class: 'muted small', text: t('ui.run_of', { Date: dateTime(l.run.finished_at || l.run.queued_at) }) + ' · ' +
            tc('plural.candidates', l.total) + ' · ' + t('ui.work.unreviewed', { N: int(l.unreviewed), Total: int(l.total) }) })))))
        : h('p', { class: 'empty', text: t('ui.empty.runs') })));
}

function conclusionTitle(c) {
  return t('ui.verify_pair', { Examiner: c.examiner_name || '', A: (c.case_a || '').slice(0, 8) });
}

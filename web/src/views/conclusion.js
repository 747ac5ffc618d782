import { h, clear, toast } from '../dom.js';
import { t, tc, dateTime } from '../i18n.js';
import { work, AFTE, newKey } from '../work.js';
import { reportButton } from './common.js';
import { currentUser, userID, userRoles, errorText } from '../main.js';

// conclusionPanel shows, for one pair of scans, the step the user can take:
// record a conclusion (examiner), verify one blind (a second examiner or a
// verifier, who does not see the first conclusion), resolve a disagreement
// (a supervisor), or read the outcome. Every form carries one idempotency
// key and disables itself while sending, so a double click records nothing
// twice; a 409 says so in the user's language.
export async function conclusionPanel(box, ctx) {
  clear(box, h('h2', { text: t('conclusion.examiner') }), h('p', { class: 'muted', text: t('ui.loading') }));
  let current = null;
  try {
    if (ctx.conclusionID) current = await work.get(ctx.conclusionID);
    else {
      const res = await work.list(ctx.candidateID ? { candidate: ctx.candidateID } : { scan: ctx.scanA });
      const items = (res.items || []).filter((c) => c.scan_a === ctx.scanA && c.scan_b === ctx.scanB || c.scan_a === ctx.scanB && c.scan_b === ctx.scanA);
      current = items.find((c) => c.status === 'awaiting_verification' || c.status === 'disagreement') || items[0] || null;
    }
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (e.status !== 404) { clear(box, h('h2', { text: t('conclusion.examiner') }), h('p', { class: 'error', role: 'alert', text: errorText(e) })); return; }
  }
  render(current);

  function render(c) {
    const me = userID(currentUser());
    // The marked areas of what is recorded and visible (never while blind).
    const recorded = c && !c.blind ? [...(c.annotations || []).map((a) => ({ ...a, by: 'E' })),
      ...(c.verification?.annotations || []).map((a) => ({ ...a, by: 'V' }))] : [];
    ctx.showRecorded?.(recorded);
    const roles = userRoles(currentUser());
    clear(box);
    box.dataset.state = c ? c.status : 'none';
    if (!c) {
      box.append(roles.includes('examiner') ? form('record', null) : h('p', { class: 'notice', text: t('ui.concl.none') }));
      return;
    }
    if (c.status === 'verified' || c.status === 'resolved') {
      box.append(outcome(c));
      return;
    }
    if (c.status === 'awaiting_verification') {
      if (c.examiner === me) {
        box.append(h('h2', { text: t('conclusion.examiner') }), summary(c.conclusion, c.notes, c.annotations),
          h('p', { class: 'notice', id: 'awaiting', text: t('ui.concl.awaiting') }));
      } else {
        box.append(h('p', { class: 'notice', text: t('ui.concl.blind_lead', { Name: c.examiner_name || '' }) }), form('verify', c));
      }
      return;
    }
    if (c.status === 'disagreement') {
      box.append(outcome(c));
      const party = c.examiner === me || c.verification?.by === me;
      if (!party && roles.includes('verifier')) box.append(form('resolve', c));
      else box.append(h('p', { class: 'notice', text: t('ui.concl.to_supervisor') }));
    }
  }

  function summary(value, notes, annotations) {
    return h('div', { class: 'summary' },
      h('p', { class: 'afte-value', text: value ? t('afte.' + value) : '—' }),
      notes ? h('p', { class: 'notes', text: notes }) : null,
      annotations?.length ? h('p', { class: 'muted small', text: tc('ui.plural.marked', annotations.length) }) : null);
  }

  function outcome(c) {
    const final = c.final_conclusion || c.conclusion;
    return h('div', { class: 'outcome', id: 'outcome' },
      h('h2', { text: t('ui.concl.status.' + c.status) }),
      h('p', { class: 'afte-value final', text: final ? t('afte.' + final) : '—' }),
      h('dl', { class: 'meta small' },
        h('dt', { text: t('sign.examiner') }), h('dd', { text: (c.examiner_name || '') + ' · ' + t('afte.' + c.conclusion) + ' · ' + dateTime(c.recorded_at) }),
        c.verification && [h('dt', { text: t('sign.verifier') }), h('dd', { text: (c.verification.by_name || '') + ' · ' + t('afte.' + c.verification.conclusion) + ' · ' + dateTime(c.verification.at) })],
        c.resolution && [h('dt', { text: t('ui.concl.supervisor') }), h('dd', { text: (c.resolution.by_name || '') + ' · ' + t('afte.' + c.resolution.conclusion) + ' · ' + dateTime(c.resolution.at) })]),
      c.status === 'verified' ? h('p', { text: c.verification?.agrees === false ? t('verification.disagree') : t('verification.agree') }) : null,
      c.status === 'disagreement' ? h('p', { text: t('verification.disagree') }) : null,
      c.link ? h('p', { class: 'notice', text: t('ui.concl.linked') }) : null,
      c.notes ? h('p', { class: 'notes', text: c.notes }) : null,
      reportButton('/api/conclusions/' + encodeURIComponent(c.id) + '/report', 'report-' + c.id.slice(0, 8) + '.pdf'));
  }

  // form is the AFTE range with notes and the marked areas of the viewer.
  function form(kind, c) {
    const key = newKey();
    const name = 'afte-' + kind;
    const msg = h('p', { class: 'error', role: 'alert', hidden: true });
    const notes = h('textarea', { id: 'concl-notes', rows: 3, maxLength: 65536, 'aria-label': t('conclusion.notes') });
    const withMarks = h('input', { type: 'checkbox', id: 'concl-marks', checked: kind !== 'resolve' });
    const marksCount = h('span');
    const refreshMarks = () => { marksCount.textContent = tc('ui.plural.marked', ctx.marks().length); };
    refreshMarks();
    ctx.refreshMarks = refreshMarks;
    const button = h('button', { type: 'submit', class: 'primary', id: 'concl-submit', text: t('ui.concl.submit.' + kind) });
    const options = AFTE.map((v, i) => h('label', { class: 'afte' },
      h('input', { type: 'radio', name, value: v, required: true, checked: false, id: name + '-' + v, onfocus: refreshMarks }),
      h('span', {}, h('strong', { text: t('afte.' + v) }), h('small', { text: t('afte.' + v + '.desc') }))));
    const f = h('form', { class: 'concl-form', id: 'concl-form-' + kind, onsubmit: async (e) => {
      e.preventDefault();
      if (button.disabled) return; // a second click while the first is sent
      const chosen = f.querySelector(`input[name="${name}"]:checked`);
      if (!chosen) { msg.textContent = t('ui.concl.choose'); msg.hidden = false; return; }
      button.disabled = true;
      msg.hidden = true;
      const body = { conclusion: chosen.value, notes: notes.value, idempotency_key: key };
      if (kind !== 'resolve') body.annotations = withMarks.checked ? ctx.marks().map((m) => ({ ...m })) : [];
      try {
        let res;
        if (kind === 'record') res = await work.record({ ...body, ...(ctx.candidateID ? { candidate_id: ctx.candidateID } : { scan_a: ctx.scanA, scan_b: ctx.scanB }) });
        if (kind === 'verify') res = await work.verify(c.id, body);
        if (kind === 'resolve') res = await work.resolve(c.id, body);
        toast(t('ui.concl.saved.' + kind));
        ctx.clearMarks?.(); // they are recorded now and come back as the conclusion's marked areas
        render(res);
      } catch (err) {
        msg.textContent = err.status === 409 ? t('ui.err.conclusion_twice') : errorText(err);
        msg.hidden = false;
        button.disabled = false;
        if (err.status === 409) { // someone (or this form) recorded it already: show what is stored
          try { if (c) render(await work.get(c.id)); } catch { /* keep the message */ }
        }
      }
    } },
    h('h2', { text: t('ui.concl.title.' + kind) }),
    h('fieldset', {}, h('legend', { text: t('ui.concl.afte') }), options),
    h('label', { for: 'concl-notes', text: t('conclusion.notes') }), notes,
    kind !== 'resolve' ? h('label', { class: 'inline' }, withMarks, marksCount) : null,
    msg, button);
    return f;
  }
}

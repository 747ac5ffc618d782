// Trace requests about firearms between agencies: incoming and outgoing
// lists of the agency, a new request (draft or sent at once), and one
// request with its status steps (draft → sent → acknowledged → answered →
// closed), answers and deadline. Which side may do what comes from the
// API: the requester sends, the addressee acknowledges and answers, either
// closes; the buttons follow the user's rights (session "allowed").
import { h, clear, link, toast } from '../dom.js';
import { t, tc, date, dateTime, int } from '../i18n.js';
import * as api from '../api.js';
import { showError, errorText, can, myAgency, navigate } from '../main.js';
import { field, table, breadcrumb, userNames, nameOf, countryName, labelled, badge } from './common.js';
import { firearmTitle, fileInput, fileHint, uploadFiles, fileLinks } from './firearms.js';

export const TRACE_STATUSES = ['draft', 'sent', 'acknowledged', 'answered', 'closed'];
const OPEN = new Set(['sent', 'acknowledged']);

export function traceStatus(s) { return s ? t('ui.tr.status.' + s) : '—'; }
function party(p) { return [p.agency, countryName(p.country)].filter(Boolean).join(' · '); }
export function overdue(r, now = Date.now()) { return OPEN.has(r.status) && r.deadline && new Date(r.deadline).getTime() < now; }

function deadlineCell(r) {
  if (!r.deadline) return h('td', { text: '—' });
  const late = overdue(r);
  return h('td', { class: late ? 'overdue' : null }, date(r.deadline), late ? [' ', badge(t('ui.tr.overdue'), 'late')] : null);
}

export async function tracesList(main) {
  document.title = t('ui.tr.title') + ' — tracemark';
  const params = new URLSearchParams(location.search);
  let direction = params.get('direction') === 'outgoing' ? 'outgoing' : 'incoming';
  const tabs = ['incoming', 'outgoing'].map((d) => h('button', { type: 'button', class: 'seg', id: 'tr-tab-' + d, 'aria-pressed': String(d === direction), text: t('ui.tr.' + d) }));
  const status = h('select', { id: 'tr-status', 'aria-label': t('ui.filter.status') },
    h('option', { value: '', text: t('ui.filter.any_status') }), TRACE_STATUSES.map((s) => h('option', { value: s, text: traceStatus(s), selected: params.get('status') === s })));
  const onlyLate = h('input', { type: 'checkbox', id: 'tr-overdue', checked: params.get('overdue') === '1' });
  const reminders = h('p', { id: 'tr-reminders', class: 'muted', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true, text: t('ui.more') });
  let cursor = '', items = [], ac;

  async function load(append) {
    ac?.abort();
    ac = new AbortController();
    history.replaceState(null, '', '/traces' + api.qs({ direction, status: status.value, overdue: onlyLate.checked ? '1' : '' }));
    tabs.forEach((b) => b.setAttribute('aria-pressed', String(b.id === 'tr-tab-' + direction)));
    try {
      const res = await api.get('/api/trace-requests' + api.qs({ direction, status: status.value, overdue: onlyLate.checked ? 'true' : '', limit: 50, cursor: append ? cursor : '' }), { signal: ac.signal });
      items = append ? items.concat(res.items || []) : (res.items || []);
      cursor = res.next_cursor || '';
      draw();
    } catch (e) { if (e.name !== 'AbortError') { clear(body); showError(body, e); } }
  }
  function draw() {
    more.hidden = !cursor;
    const other = direction === 'incoming' ? 'requester' : 'addressee';
    clear(body, h('p', { class: 'muted', text: tc('ui.plural.traces', items.length) }), items.length ? table(
      [t('ui.tr.created'), t(direction === 'incoming' ? 'trace.requester' : 'ui.tr.addressee'), t('trace.firearm'), t('ui.filter.status'), t('ui.tr.deadline'), t('ui.tr.answers')],
      items.map((r) => h('tr', { class: overdue(r) ? 'late' : null },
        h('td', {}, link('/traces/' + r.id, { class: 'open-trace', text: date(r.created_at) + (r.case_number ? ' · ' + r.case_number : '') })),
        h('td', { text: party(r[other]) }), h('td', { text: firearmTitle(r.firearm || {}) || '—' }),
        h('td', {}, badge(traceStatus(r.status), 'ts-' + r.status), r.priority === 'urgent' ? [' ', badge(t('priority.urgent'), 'late')] : null,
          r.delivery?.pending ? [' ', badge(t('ui.tr.not_delivered'), 'late')] : null),
        deadlineCell(r), h('td', { class: 'num', text: int((r.answers || []).length) }))), { class: 'list', id: 'traces-table' })
      : h('p', { class: 'empty', text: t('ui.empty.traces') }));
  }
  tabs.forEach((b) => b.addEventListener('click', () => { direction = b.id.replace('tr-tab-', ''); load(false); }));
  status.addEventListener('change', () => load(false));
  onlyLate.addEventListener('change', () => load(false));
  more.addEventListener('click', () => load(true));
  main.append(
    h('div', { class: 'headline' }, h('h1', { text: t('ui.tr.title') }),
      can('create-trace-request') ? link('/traces/new', { class: 'button primary', id: 'tr-new', text: t('ui.tr.new') }) : null),
    reminders,
    h('div', { class: 'filters' }, h('span', { class: 'segs', role: 'group', 'aria-label': t('ui.tr.direction') }, tabs), status,
      h('label', { class: 'inline' }, onlyLate, t('ui.tr.only_overdue'))),
    body, more);
  if (can('trace-reminders')) {
    api.get('/api/trace-reminders').then((r) => {
      const late = (r.items || []).filter((x) => x.kind === 'overdue').length;
      const soon = (r.items || []).length - late;
      reminders.textContent = late || soon ? tc('ui.plural.overdue', late) + ' · ' + tc('ui.plural.due_soon', soon) : '';
      if (late) reminders.className = 'notice late';
    }).catch(() => {});
  }
  await load(false);
  return () => ac?.abort();
}

export async function traceNew(main) {
  const title = t('ui.tr.new');
  document.title = title + ' — tracemark';
  if (!can('create-trace-request')) { main.append(h('h1', { text: title }), h('p', { class: 'error', text: t('ui.err.forbidden') })); return; }
  const want = new URLSearchParams(location.search).get('firearm') || '';
  const firearms = ((await api.get('/api/firearms?limit=200').catch(() => ({ items: [] }))).items || []);
  const firearm = h('select', { id: 'tr-firearm', required: true },
    h('option', { value: '', text: t('ui.tr.pick_firearm') }),
    firearms.map((f) => h('option', { value: f.id, selected: f.id === want, text: firearmTitle(f) })));
  // Partner nodes (registered, not revoked): the request is delivered there.
  // (The API refuses a request addressed to the requesting agency itself.)
  const peers = can('list-peers') ? ((await api.get('/api/federation/peers').catch(() => ({ items: [] }))).items || []).filter((p) => !p.revoked_at) : [];
  const toHere = h('select', { id: 'tr-to-kind' },
    h('option', { value: 'other', text: t('ui.tr.to_other') }),
    peers.map((p) => h('option', { value: 'peer:' + p.fingerprint, text: t('ui.tr.to_peer', { Node: p.node, Country: countryName(p.country) }) })));
  const agency = h('input', { id: 'tr-to-agency', maxLength: 256 });
  const country = h('input', { id: 'tr-to-country', maxLength: 2, size: 3, pattern: '[A-Za-z]{2}', autocomplete: 'off' });
  const otherBox = h('div', { class: 'cols2' }, labelled(t('ui.tr.to_agency'), agency), labelled(t('ui.tr.to_country'), country, t('ui.fa.country_hint')));
  const peerOf = () => peers.find((p) => 'peer:' + p.fingerprint === toHere.value);
  toHere.addEventListener('change', () => {
    country.disabled = !!peerOf(); // the partner node's country
    const p = peerOf();
    if (p && !agency.value) agency.value = p.agency || p.node;
  });
  const contact = h('input', { id: 'tr-contact', maxLength: 256 });
  const caseNo = h('input', { id: 'tr-case', maxLength: 128 });
  const priority = h('select', { id: 'tr-priority' }, ['routine', 'urgent'].map((p) => h('option', { value: p, text: t('priority.' + p) })));
  const reason = h('textarea', { id: 'tr-reason', rows: 3, maxLength: 16384 });
  const legal = h('textarea', { id: 'tr-legal', rows: 2, maxLength: 4096 });
  const restrictions = h('input', { id: 'tr-restrictions', maxLength: 4096 });
  const deadline = h('input', { id: 'tr-deadline', type: 'date' });
  const files = fileInput('tr-files');
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const draftB = h('button', { type: 'submit', id: 'tr-save-draft', value: 'draft', text: t('ui.tr.save_draft') });
  const sendB = h('button', { type: 'submit', class: 'primary', id: 'tr-send-now', value: 'send', text: t('ui.tr.send_now') });
  const form = h('form', { class: 'card form-grid', id: 'tr-form', onsubmit: async (e) => {
    e.preventDefault();
    if (draftB.disabled) return;
    const send = e.submitter?.value === 'send';
    msg.hidden = true;
    draftB.disabled = sendB.disabled = true;
    const peer = peerOf();
    const addressee = peer ? { agency: agency.value.trim() || peer.agency || peer.node, country: peer.country }
        : { agency: agency.value.trim(), country: country.value.trim().toUpperCase() };
    const body = { addressee, peer: peer?.fingerprint, contact: contact.value.trim(), firearm_id: firearm.value, case_number: caseNo.value.trim(), priority: priority.value,
      reason: reason.value.trim(), legal_basis: legal.value.trim(), restrictions: restrictions.value.trim(), send };
    if (deadline.value) body.deadline = new Date(deadline.value + 'T23:59:59').toISOString();
    try {
      body.attachments = await uploadFiles(files);
      const r = await api.post('/api/trace-requests', body);
      toast(t(send ? 'ui.tr.sent' : 'ui.tr.drafted'));
      navigate('/traces/' + r.id, { replace: true });
    } catch (err) {
      if (peer && send && err.status === 403) {
        // The draft is kept and says why it was not delivered.
        toast(errorText(err) + ' ' + (err.problem?.detail || ''), 'error');
        navigate('/traces?direction=outgoing', { replace: true });
        return;
      }
      msg.textContent = err instanceof api.ApiError ? errorText(err) + (err.problem?.detail && err.status === 422 ? ' ' + err.problem.detail : '') : err.message;
      msg.hidden = false;
      draftB.disabled = sendB.disabled = false;
    }
  } },
  h('fieldset', {}, h('legend', { text: t('trace.firearm') }), labelled(t('trace.firearm'), firearm, firearms.length ? null : t('ui.tr.no_firearms'))),
  h('fieldset', {}, h('legend', { text: t('ui.tr.addressee') }), labelled(t('ui.tr.to_kind'), toHere), otherBox),
  h('fieldset', {}, h('legend', { text: t('ui.tr.request') }),
    labelled(t('trace.contact'), contact), labelled(t('field.case_number'), caseNo), labelled(t('trace.priority'), priority),
    labelled(t('ui.tr.reason'), reason, t('ui.tr.reason_hint')), labelled(t('ui.tr.legal_basis'), legal), labelled(t('ui.tr.restrictions'), restrictions),
    labelled(t('ui.tr.deadline'), deadline), labelled(t('ui.tr.attachments'), files, fileHint('tr-files'))),
  msg, h('div', { class: 'actions' }, sendB, draftB, link('/traces', { class: 'button', text: t('ui.cancel') })));
  main.append(breadcrumb(link('/traces', { text: t('ui.tr.title') }), title), h('h1', { text: title }), form);
  firearm.focus();
}

export async function traceDetail(main, id) {
  const [r, names] = await Promise.all([api.get('/api/trace-requests/' + encodeURIComponent(id), { notFound: 'ui.err.trace_missing' }), userNames()]);
  const ag = myAgency();
  const requester = r.requester.agency_id === ag.id;
  const addressee = r.addressee.agency_id === ag.id;
  const title = t('ui.tr.one', { Date: date(r.created_at) }) + (r.case_number ? ' · ' + r.case_number : '');
  document.title = title + ' — tracemark';
  const f = r.firearm || {};
  main.append(
    breadcrumb(link('/traces', { text: t('ui.tr.title') }), title),
    h('div', { class: 'headline' }, h('h1', {}, title, ' ', badge(traceStatus(r.status), 'ts-' + r.status), overdue(r) ? [' ', badge(t('ui.tr.overdue'), 'late')] : null)),
    steps(r),
    h('div', { class: 'cols' },
      h('section', { class: 'card' },
        h('h2', { text: t('ui.tr.request') }),
        h('dl', { class: 'meta' },
          field(t('trace.requester'), party(r.requester) + (r.requester.contact ? ' · ' + r.requester.contact : '')),
          field(t('ui.tr.addressee'), party(r.addressee)),
          r.peer ? field(t('ui.tr.peer'), h('code', { text: r.peer.slice(0, 23) + '…', title: r.peer })) : null,
          field(t('trace.firearm'), r.firearm_id && requester ? link('/firearms/' + r.firearm_id, { text: firearmTitle(f) }) : firearmTitle(f)),
          field(t('field.type'), f.type ? t('ui.fa.type.' + f.type) : ''), field(t('col.calibre'), f.calibre),
          field(t('field.case_number'), r.case_number), field(t('trace.priority'), r.priority ? t('priority.' + r.priority) : ''),
          field(t('ui.tr.reason'), r.reason ? h('span', { class: 'notes', text: r.reason }) : ''),
          field(t('ui.tr.legal_basis'), r.legal_basis), field(t('ui.tr.restrictions'), r.restrictions),
          field(t('ui.tr.attachments'), fileLinks(r.attachments, 'tr-attachments')),
          field(t('ui.tr.deadline'), r.deadline ? h('span', { class: overdue(r) ? 'overdue' : null, text: date(r.deadline) }) : ''),
          field(t('ui.tr.created'), dateTime(r.created_at) + ' · ' + nameOf(names, r.created_by)))),
      h('section', { class: 'card', id: 'tr-actions' }, h('h2', { text: t('ui.tr.actions') }), delivery(r), actions(r, requester, addressee))),
    h('section', { class: 'card' }, h('h2', { text: tc('ui.plural.answers', (r.answers || []).length) }),
      (r.answers || []).length ? h('ol', { class: 'answers', id: 'tr-answers' }, r.answers.map((a) => h('li', {},
        h('p', { class: 'muted small', text: dateTime(a.at) + ' · ' + nameOf(names, a.by) }),
        h('p', { class: 'notes', text: a.text }),
        a.last_legal_owner || a.point_of_diversion ? h('dl', { class: 'meta small' }, field(t('ui.tr.last_owner'), a.last_legal_owner), field(t('ui.tr.diversion'), a.point_of_diversion)) : null,
        a.attachments?.length ? fileLinks(a.attachments) : null)))
        : h('p', { class: 'empty', text: t('ui.empty.answers') })),
    h('section', { class: 'card' }, h('h2', { text: t('ui.fa.history') }),
      (r.events || []).length ? table([t('col.date_time'), t('ui.tr.step'), t('col.note'), t('col.by')],
        [...r.events].reverse().map((e) => h('tr', {}, h('td', { text: dateTime(e.at) }), h('td', { text: traceStatus(e.from) + ' → ' + traceStatus(e.to) }),
          h('td', { text: e.note || '—' }), h('td', { text: nameOf(names, e.by) }))), { class: 'list small', id: 'tr-events' })
        : h('p', { class: 'empty', text: t('ui.empty.history') })));
}

// delivery says whether the latest change reached the partner node, and
// offers to send it again (the API retries on the same status).
function delivery(r) {
  const d = r.delivery;
  if (!r.peer || !d) return null;
  if (!d.pending) return h('p', { class: 'notice', id: 'tr-delivery', text: t('ui.tr.delivered', { Date: dateTime(d.delivered_at) }) });
  const box = h('div', { class: 'notice late', id: 'tr-delivery' },
    h('p', { text: t(d.refused ? 'ui.tr.refused' : 'ui.tr.pending', { Error: d.last_error || '—' }) }));
  if (can('transition-trace-request') && r.status !== 'draft') { // a draft is sent again with Send
    const b = h('button', { type: 'button', id: 'tr-retry', text: t('ui.tr.retry') });
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api.post('/api/trace-requests/' + r.id + '/status', { status: r.status === 'draft' ? 'sent' : r.status });
        navigate(location.pathname, { replace: true });
      } catch (err) { toast(errorText(err) + ' ' + (err.problem?.detail || ''), 'error'); navigate(location.pathname, { replace: true }); }
    });
    box.append(b);
  }
  return box;
}

// steps shows the workflow with the current step marked.
function steps(r) {
  const at = TRACE_STATUSES.indexOf(r.status);
  return h('ol', { class: 'steps', 'aria-label': t('ui.tr.steps') }, TRACE_STATUSES.map((s, i) => h('li', {
    class: i < at ? 'done' : i === at ? 'now' : null, 'aria-current': i === at ? 'step' : null, text: traceStatus(s) })));
}

// actions offers the changes this user may make now, on this side.
function actions(r, requester, addressee) {
  const box = h('div');
  const note = h('input', { id: 'tr-note', maxLength: 4096 });
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const move = (to, label, cls) => {
    const b = h('button', { type: 'button', class: cls || '', id: 'tr-to-' + to, text: label });
    b.addEventListener('click', async () => {
      b.disabled = true; msg.hidden = true;
      try {
        await api.post('/api/trace-requests/' + r.id + '/status', { status: to, note: note.value.trim() });
        toast(t('ui.tr.now', { Status: traceStatus(to) }));
        navigate(location.pathname, { replace: true });
      } catch (err) {
        const text = errorText(err) + (err.problem?.detail && err.status !== 500 ? ' ' + err.problem.detail : '');
        if (r.peer) { toast(text, 'error'); navigate(location.pathname, { replace: true }); return; } // the delivery state says why
        msg.textContent = text; msg.hidden = false; b.disabled = false;
      }
    });
    return b;
  };
  const mayMove = can('transition-trace-request');
  const buttons = [];
  if (mayMove && requester && r.status === 'draft') buttons.push(move('sent', t('ui.tr.send'), 'primary'));
  if (mayMove && addressee && r.status === 'sent') buttons.push(move('acknowledged', t('ui.tr.acknowledge'), 'primary'));
  if (mayMove && (requester || addressee) && r.status !== 'closed') buttons.push(move('closed', t(r.status === 'draft' ? 'ui.tr.withdraw' : 'ui.tr.close')));
  if (buttons.length) box.append(labelled(t('col.note'), note), h('div', { class: 'actions' }, buttons), msg);
  if (can('answer-trace-request') && addressee && OPEN.has(r.status)) box.append(answerForm(r));
  if (!box.children.length) box.append(h('p', { class: 'muted', text: r.status === 'closed' ? t('ui.tr.closed_note') : t('ui.tr.nothing_to_do') }));
  return box;
}

function answerForm(r) {
  const text = h('textarea', { id: 'tr-answer-text', rows: 4, required: true, maxLength: 65536 });
  const owner = h('input', { id: 'tr-answer-owner', maxLength: 1024 });
  const diversion = h('input', { id: 'tr-answer-diversion', maxLength: 1024 });
  const files = fileInput('tr-answer-files');
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const b = h('button', { type: 'submit', class: 'primary', id: 'tr-answer-submit', text: t('ui.tr.answer') });
  return h('form', { id: 'tr-answer-form', onsubmit: async (e) => {
    e.preventDefault();
    if (b.disabled) return;
    b.disabled = true; msg.hidden = true;
    try {
      const attachments = await uploadFiles(files);
      await api.post('/api/trace-requests/' + r.id + '/answers', { text: text.value.trim(), last_legal_owner: owner.value.trim(), point_of_diversion: diversion.value.trim(), attachments });
      toast(t('ui.tr.answered'));
      navigate(location.pathname, { replace: true });
    } catch (err) { msg.textContent = err instanceof api.ApiError ? errorText(err) : err.message; msg.hidden = false; b.disabled = false; }
  } }, h('h3', { text: t('ui.tr.answer') }), labelled(t('ui.tr.answer_text'), text), labelled(t('ui.tr.last_owner'), owner), labelled(t('ui.tr.diversion'), diversion),
  labelled(t('ui.tr.attachments'), files, fileHint('tr-answer-files')), b, msg);
}

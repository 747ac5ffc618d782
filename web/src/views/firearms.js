// Firearm records (International Tracing Instrument fields): the list with
// serial, make/model and marking search, a record with its status history,
// test fires, leads and graph, and the form to create or edit one. The API
// does the matching: serial look-alikes and wildcards (/api/firearm-serials),
// model aliases (/api/firearm-models), both scripts (list-firearms text).
import { h, clear, link, debounce, toast } from '../dom.js';
import { t, tc, date, dateTime, num } from '../i18n.js';
import * as api from '../api.js';
import { showError, errorText, can, myAgency, navigate } from '../main.js';
import { field, table, breadcrumb, caseLink, userNames, nameOf, countryName, labelled, badge } from './common.js';
import { firearmGraph } from './graph.js';

export const FIREARM_STATUSES = ['lost', 'stolen', 'seized', 'recovered', 'destroyed', 'in_reference_collection'];
export const FIREARM_TYPES = ['pistol', 'revolver', 'rifle', 'assault_rifle', 'carbine', 'shotgun', 'submachine_gun', 'machine_gun', 'machine_pistol', 'combination_gun', 'other'];

export function firearmStatus(s) { return s ? t('ui.fa.status.' + s) : '—'; }
export function firearmType(s) { return s && s !== 'unknown' ? t('ui.fa.type.' + s) : t('ui.unknown'); }
export function firearmTitle(f) {
  return [f.make, f.model].filter(Boolean).join(' ') + (f.serial_number ? ' · ' + f.serial_number : '');
}

function statusBadge(s) { return badge(firearmStatus(s), 'fs-' + s); }

// Files (firearm photos, trace request attachments) are uploaded one by
// one with POST /api/files, which checks their type and size; records keep
// the refs it answers. A record may name only files of the agency.
export const FILE_ACCEPT = 'image/jpeg,image/png,image/tiff,application/pdf';
export const fileURL = (ref) => '/api/files/' + encodeURIComponent(ref);

export function fileInput(id, accept = FILE_ACCEPT) {
  return h('input', { type: 'file', id, multiple: true, accept, 'aria-describedby': id + '-hint' });
}

export function fileHint(id) {
  return h('small', { class: 'muted', id: id + '-hint', text: t('ui.file.hint') });
}

// uploadFiles uploads the files chosen in input and returns their refs; the
// first refused file stops it with an error that names it.
export async function uploadFiles(input) {
  const refs = [];
  for (const file of input.files || []) {
    try {
      refs.push((await api.post('/api/files' + api.qs({ name: file.name }), file)).ref);
    } catch (err) {
      throw new Error(t('ui.file.refused', { Name: file.name }) + ' ' + errorText(err) + (err.problem?.detail ? ' ' + err.problem.detail : ''));
    }
  }
  return refs;
}

// fileLinks lists files as links that open them (not client routes).
export function fileLinks(refs, id) {
  if (!refs?.length) return '';
  return h('ul', { class: 'plain', id }, refs.map((ref, i) => h('li', {},
    h('a', { href: fileURL(ref), target: '_blank', rel: 'noopener', class: 'file-link', title: ref, text: t('ui.file.n', { N: i + 1 }) + ' · ' + ref.slice(7, 19) }))));
}

function photoStrip(refs) {
  return h('div', { class: 'actions', id: 'fa-photos' }, refs.map((ref, i) =>
    h('a', { href: fileURL(ref), target: '_blank', rel: 'noopener', title: t('ui.fa.photo_n', { N: i + 1 }) },
      h('img', { src: fileURL(ref), alt: t('ui.fa.photo_n', { N: i + 1 }), height: 120, loading: 'lazy', class: 'fa-photo' }))));
}

function options(values, label, selected, anyText) {
  return [anyText != null ? h('option', { value: '', text: anyText }) : null,
    values.map((v) => h('option', { value: v, text: label(v), selected: v === selected }))];
}

export async function firearmsList(main) {
  document.title = t('ui.fa.title') + ' — tracemark';
  const params = new URLSearchParams(location.search);
  const q = h('input', { type: 'search', id: 'fa-q', value: params.get('q') || '', 'data-search': '1', placeholder: t('ui.fa.search.text'), 'aria-label': t('ui.fa.search.text') });
  const serial = h('input', { type: 'search', id: 'fa-serial', value: params.get('serial') || '', placeholder: t('ui.fa.search.serial'), 'aria-label': t('ui.fa.search.serial'), 'aria-describedby': 'fa-serial-hint', spellcheck: false, autocomplete: 'off' });
  const status = h('select', { id: 'fa-status', 'aria-label': t('ui.filter.status') }, options(FIREARM_STATUSES, firearmStatus, params.get('status'), t('ui.filter.any_status')));
  const type = h('select', { id: 'fa-type', 'aria-label': t('field.type') }, options(FIREARM_TYPES, firearmType, params.get('type'), t('ui.fa.any_type')));
  const note = h('p', { class: 'muted small', id: 'fa-note', 'aria-live': 'polite' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true, text: t('ui.more') });
  let cursor = '';
  let rows = [];
  let ac;

  async function load(append) {
    ac?.abort();
    ac = new AbortController();
    const signal = ac.signal;
    const state = { q: q.value.trim(), serial: serial.value.trim(), status: status.value, type: type.value };
    history.replaceState(null, '', '/firearms' + api.qs(state));
    note.textContent = '';
    try {
      if (state.serial) {
        // Serial search: wildcards and look-alikes, scored by the API.
        const res = await api.get('/api/firearm-serials' + api.qs({ q: state.serial, limit: 100 }), { signal });
        rows = (res.items || []).map((m) => ({ f: m.firearm, score: m.score }))
          .filter((r) => (!state.status || r.f.status === state.status) && (!state.type || r.f.type === state.type));
        note.textContent = t('ui.fa.serial_pattern', { Pattern: res.pattern });
        cursor = '';
      } else {
        const list = (text, cur) => api.get('/api/firearms' + api.qs({ text, status: state.status, type: state.type, limit: 50, cursor: cur }), { signal });
        const [res, models] = await Promise.all([list(state.q, append ? cursor : ''),
          state.q && !append ? api.get('/api/firearm-models' + api.qs({ q: state.q, limit: 3 }), { signal }).catch(() => ({ items: [] })) : { items: [] }]);
        const got = (res.items || []).map((f) => ({ f }));
        // A make or model alias ("ПМ", "Pistolet Makarova") names the
        // reference model: its records are found by the model's name too.
        const top = (models.items || []).find((m) => m.score >= 0.8);
        if (top) {
          const seen = new Set(got.map((r) => r.f.id));
          const byModel = await list(top.model.model, '');
          for (const f of byModel.items || []) if (!seen.has(f.id)) { got.push({ f }); seen.add(f.id); }
          note.textContent = t('ui.fa.model_matched', { Model: top.model.make + ' ' + top.model.model, Alias: top.alias });
        }
        rows = append ? rows.concat(got) : got;
        cursor = res.next_cursor || '';
      }
      draw(!!state.serial);
    } catch (e) { if (e.name !== 'AbortError') { clear(body); showError(body, e); } }
  }
  function draw(scored) {
    count.textContent = tc('ui.plural.firearms', rows.length);
    more.hidden = !cursor;
    clear(body, rows.length ? table(
      [t('field.serial'), t('field.make'), t('field.model'), t('field.type'), t('col.calibre'), t('ui.filter.status'), t('ui.fa.updated'), scored ? t('ui.score') : null].filter(Boolean),
      rows.map(({ f, score }) => h('tr', {},
        h('td', {}, link('/firearms/' + f.id, { class: 'open-firearm', text: f.serial_number || t('ui.fa.no_serial') }), f.serial_obliterated ? h('span', { class: 'muted small', text: ' · ' + t('ui.fa.obliterated') }) : null),
        h('td', { text: f.make || '—' }), h('td', { text: f.model || '—' }), h('td', { text: firearmType(f.type) }),
        h('td', { text: f.calibre || '—' }), h('td', {}, statusBadge(f.status)), h('td', { text: date(f.updated_at) }),
        scored ? h('td', { class: 'num', text: num(score, 2) }) : null)), { class: 'list', id: 'firearms-table' })
      : h('p', { class: 'empty', text: t('ui.empty.firearms') }));
  }
  const reload = debounce(() => load(false), 250);
  q.addEventListener('input', () => { if (q.value) serial.value = ''; reload(); });
  serial.addEventListener('input', () => { if (serial.value) q.value = ''; reload(); });
  status.addEventListener('change', () => load(false));
  type.addEventListener('change', () => load(false));
  more.addEventListener('click', () => load(true));
  main.append(
    h('div', { class: 'headline' }, h('h1', { text: t('ui.fa.title') }),
      can('create-firearm') ? link('/firearms/new', { class: 'button primary', id: 'fa-new', text: t('ui.fa.new') }) : null),
    h('div', { class: 'filters', role: 'search' }, q, serial, status, type),
    h('p', { class: 'muted small', id: 'fa-serial-hint', text: t('ui.fa.serial_hint') }),
    note, count, body, more);
  await load(false);
  return () => ac?.abort();
}

export async function firearmDetail(main, id) {
  const [f, names] = await Promise.all([api.get('/api/firearms/' + encodeURIComponent(id), { notFound: 'ui.err.firearm_missing' }), userNames()]);
  document.title = firearmTitle(f) + ' — tracemark';
  const ag = myAgency();
  const cs = f.case_id ? await api.get('/api/cases/' + f.case_id).catch(() => null) : null;
  main.append(
    breadcrumb(link('/firearms', { text: t('ui.fa.title') }), firearmTitle(f)),
    h('div', { class: 'headline' },
      h('h1', {}, t('kind.firearm') + ' ' + firearmTitle(f), ' ', statusBadge(f.status)),
      h('span', { class: 'actions' },
        can('update-firearm') ? link('/firearms/' + f.id + '/edit', { class: 'button', id: 'fa-edit', text: t('ui.edit') }) : null,
        can('create-trace-request') ? link('/traces/new?firearm=' + f.id, { class: 'button', id: 'fa-trace', text: t('ui.tr.new_about') }) : null)),
    h('div', { class: 'cols' },
      h('section', { class: 'card' },
        h('h2', { text: t('ui.fa.record') }),
        h('dl', { class: 'meta' },
          field(t('field.make'), f.make), field(t('field.model'), f.model ? f.model + (f.model_ref ? ' (' + f.model_ref + ')' : '') : ''),
          field(t('field.type'), firearmType(f.type)), field(t('col.calibre'), f.calibre),
          field(t('field.serial'), f.serial_number ? h('code', { text: f.serial_number }) : ''),
          field(t('field.serial_obliterated'), t(f.serial_obliterated ? 'yes' : 'no')),
          field(t('field.country'), f.country_of_manufacture ? countryName(f.country_of_manufacture) : ''),
          field(t('ui.fa.year'), f.year_of_manufacture ? String(f.year_of_manufacture) : ''),
          field(t('ui.fa.import_marks'), f.import_marks?.length ? h('ul', { class: 'plain' }, f.import_marks.map((m) =>
            h('li', { text: [countryName(m.country), m.year || '', m.importer, m.text ? '«' + m.text + '»' : ''].filter(Boolean).join(' · ') }))) : ''),
          field(t('field.markings'), f.other_markings?.length ? h('ul', { class: 'plain' }, f.other_markings.map((m) =>
            h('li', { text: ['«' + m.text + '»', m.location, m.kind].filter(Boolean).join(' · ') }))) : ''),
          field(t('ui.fa.holding'), f.agency_id === ag.id ? (ag.name || ag.code) + ' (' + countryName(ag.country) + ')' : f.agency_id),
          field(t('ui.fa.recovered_in'), cs ? caseLink(cs.case) : ''),
          field(t('ui.fa.photos'), f.photos?.length ? h('div', {}, h('p', { class: 'muted small', text: tc('ui.plural.photos', f.photos.length) }), photoStrip(f.photos)) : ''),
          field(t('ui.fa.updated'), dateTime(f.updated_at)))),
      h('section', { class: 'card' },
        h('h2', { text: t('ui.fa.status_title') }),
        can('set-firearm-status') ? statusForm(f) : h('p', { text: firearmStatus(f.status) }),
        h('h2', { text: t('ui.fa.history') }),
        historyTable(f, names))),
    await testFires(f),
    can('list-trace-requests') ? await tracesAbout(f) : null,
    can('firearm-graph') ? await graphSection(f) : null);
}

function statusForm(f) {
  const sel = h('select', { id: 'fa-new-status' }, options(FIREARM_STATUSES, firearmStatus, f.status));
  const place = h('input', { id: 'fa-status-place', maxLength: 256 });
  const note = h('input', { id: 'fa-status-note', maxLength: 4096 });
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', id: 'fa-status-submit', text: t('ui.fa.set_status') });
  return h('form', { class: 'inline-form', id: 'fa-status-form', onsubmit: async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try {
      await api.post('/api/firearms/' + f.id + '/status', { status: sel.value, place: place.value.trim(), note: note.value.trim() });
      toast(t('ui.fa.status_saved', { Status: firearmStatus(sel.value) }));
      navigate(location.pathname, { replace: true });
    } catch (err) { msg.textContent = errorText(err); msg.hidden = false; button.disabled = false; }
  } }, labelled(t('ui.filter.status'), sel), labelled(t('field.place'), place), labelled(t('col.note'), note), button, msg);
}

function historyTable(f, names) {
  const ev = [...(f.history || [])].reverse();
  if (!ev.length) return h('p', { class: 'empty', text: t('ui.empty.history') });
  return table([t('col.date_time'), t('col.action'), t('ui.filter.status'), t('field.place'), t('col.note'), t('col.by')],
    ev.map((e) => h('tr', {}, h('td', { text: dateTime(e.at) }), h('td', { text: t('ui.fa.event.' + (['status', 'transfer', 'test_fire', 'trace', 'note'].includes(e.kind) ? e.kind : 'note')) }),
      h('td', { text: e.status ? firearmStatus(e.status) : '—' }), h('td', { text: e.place || '—' }), h('td', { text: e.note || '—' }),
      h('td', { text: nameOf(names, e.by) }))), { class: 'list small', id: 'fa-history' });
}

// testFires lists the test-fire exhibits, links a new one (found by its
// case number) and searches the test fires against open crime-scene exhibits.
async function testFires(f) {
  const exhibits = await Promise.all((f.test_fires || []).map((id) => api.get('/api/exhibits/' + id).catch(() => ({ id, label: id.slice(0, 8) }))));
  const sec = h('section', { class: 'card', id: 'fa-testfires' }, h('h2', { text: t('ui.fa.test_fires') }),
    exhibits.length ? h('ul', { class: 'plain' }, exhibits.map((e) => h('li', {}, link('/exhibits/' + e.id, { text: e.label + (e.description ? ' · ' + e.description : '') }))))
      : h('p', { class: 'empty', text: t('ui.empty.test_fires') }));
  if (can('link-test-fire')) sec.append(linkTestFireForm(f));
  if (can('search-firearm-leads')) {
    const out = h('div', { id: 'fa-leads', 'aria-live': 'polite' });
    const b = h('button', { type: 'button', id: 'fa-leads-run', disabled: !exhibits.length, text: t('ui.fa.leads.run') });
    b.addEventListener('click', async () => {
      b.disabled = true;
      clear(out, h('p', { class: 'muted', text: t('ui.fa.leads.running') }));
      try {
        const res = await api.post('/api/firearms/' + f.id + '/leads', undefined);
        const items = res.items || [];
        clear(out, h('p', { class: 'muted', text: t('ui.fa.leads.summary', { Scans: tc('ui.plural.tf_scans', res.searched), Leads: tc('ui.plural.leads', items.length) }) }),
          items.length ? table([t('ui.case'), t('col.exhibit'), t('ui.score'), ''],
            items.map((l) => h('tr', {}, h('td', {}, caseLink(l.case)), h('td', {}, link('/exhibits/' + l.exhibit.id, { text: l.exhibit.label })),
              h('td', { class: 'num', text: num(l.candidate.score, 2) }),
              h('td', {}, link('/compare/' + l.test_fire_scan + '/' + l.candidate.scan, { text: t('ui.compare') })))), { class: 'list' }) : null);
      } catch (e) { clear(out); showError(out, e); }
      b.disabled = false;
    });
    sec.append(h('h3', { text: t('ui.fa.leads') }), h('p', { class: 'muted small', text: t('ui.fa.leads.lead') }), b, out);
  }
  return sec;
}

function linkTestFireForm(f) {
  const number = h('input', { id: 'fa-tf-case', placeholder: t('field.case_number'), 'aria-label': t('field.case_number') });
  const pick = h('select', { id: 'fa-tf-exhibit', 'aria-label': t('col.exhibit'), hidden: true });
  const button = h('button', { type: 'submit', id: 'fa-tf-link', disabled: true, text: t('ui.fa.link_test_fire') });
  const msg = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const find = debounce(async () => {
    const want = number.value.trim();
    button.disabled = true; pick.hidden = true; msg.textContent = '';
    if (!want) return;
    try {
      const cs = (await api.get('/api/cases' + api.qs({ q: want, limit: 5 }))).items || [];
      const found = [];
      for (const c of cs) {
        const d = await api.get('/api/cases/' + c.id);
        for (const e of d.exhibits || []) if ((e.kind === 'test_fire' || e.role === 'reference') && !(f.test_fires || []).includes(e.id)) found.push({ c, e });
      }
      clear(pick, found.map(({ c, e }) => h('option', { value: e.id, text: c.number + ' · ' + e.label + (e.description ? ' · ' + e.description : '') })));
      pick.hidden = !found.length;
      button.disabled = !found.length;
      msg.textContent = found.length ? '' : t('ui.fa.no_test_fire_in', { Number: want });
    } catch (e) { msg.textContent = errorText(e); }
  }, 300);
  number.addEventListener('input', find);
  return h('form', { class: 'inline-form', id: 'fa-tf-form', onsubmit: async (e) => {
    e.preventDefault();
    if (button.disabled || !pick.value) return;
    button.disabled = true;
    try {
      await api.post('/api/firearms/' + f.id + '/test-fires', { exhibit_id: pick.value });
      toast(t('ui.fa.test_fire_linked'));
      navigate(location.pathname, { replace: true });
    } catch (err) { msg.textContent = errorText(err); button.disabled = false; }
  } }, labelled(t('ui.fa.test_fire_case'), number), pick, button, msg);
}

// tracesAbout lists the agency's trace requests about this firearm (the
// API lists by direction; the firearm is picked here, of the latest 200).
async function tracesAbout(f) {
  const sec = h('section', { class: 'card', id: 'fa-traces' }, h('h2', { text: t('ui.tr.title') }));
  try {
    const items = ((await api.get('/api/trace-requests?limit=200')).items || []).filter((r) => r.firearm_id === f.id);
    sec.append(items.length ? h('ul', { class: 'plain' }, items.map((r) => h('li', {},
      link('/traces/' + r.id, { text: date(r.created_at) + ' · ' + [r.addressee.agency, countryName(r.addressee.country)].filter(Boolean).join(' · ') }), ' ',
      badge(t('ui.tr.status.' + r.status), 'ts-' + r.status))))
      : h('p', { class: 'empty', text: t('ui.empty.traces') }));
  } catch (e) { showError(sec, e); }
  return sec;
}

async function graphSection(f) {
  const sec = h('section', { class: 'card', id: 'fa-graph-card' }, h('h2', { id: 'fa-graph-title', text: t('ui.fa.graph') }),
    h('p', { class: 'muted small', text: t('ui.fa.graph.lead') }));
  try {
    const g = await api.get('/api/firearms/' + f.id + '/graph');
    sec.append(firearmGraph(g, f.id, [f.model || f.make, f.serial_number].filter(Boolean).join(' · ')));
  } catch (e) { showError(sec, e); }
  return sec;
}

// firearmEdit is the form of a new record (id undefined) or of an edit.
export async function firearmEdit(main, id) {
  const f = id ? await api.get('/api/firearms/' + encodeURIComponent(id), { notFound: 'ui.err.firearm_missing' }) : { type: 'pistol', status: 'seized' };
  const cs = f.case_id ? await api.get('/api/cases/' + f.case_id).catch(() => null) : null;
  const title = id ? t('ui.fa.edit_title', { Name: firearmTitle(f) }) : t('ui.fa.new');
  document.title = title + ' — tracemark';
  if (!(id ? can('update-firearm') : can('create-firearm'))) {
    main.append(h('h1', { text: title }), h('p', { class: 'error', text: t('ui.err.forbidden') }));
    return;
  }
  const inp = (name, value, props = {}) => h('input', { id: 'fa-' + name, name, value: value ?? '', ...props });
  const make = inp('make', f.make, { required: true, maxLength: 128, autocomplete: 'off' });
  const model = inp('model', f.model, { maxLength: 128, autocomplete: 'off' });
  model.setAttribute('list', 'fa-model-list'); // a read-only DOM property
  const modelList = h('datalist', { id: 'fa-model-list' });
  const modelRef = h('input', { type: 'hidden', id: 'fa-model-ref', value: f.model_ref || '' });
  const modelNote = h('small', { class: 'muted', id: 'fa-model-note', 'aria-live': 'polite' });
  const type = h('select', { id: 'fa-type-edit' }, options(FIREARM_TYPES, firearmType, f.type));
  const calibre = inp('calibre', f.calibre, { maxLength: 64 });
  const serial = inp('serial', f.serial_number, { maxLength: 64, spellcheck: false, autocomplete: 'off' });
  const serialTr = h('span', { 'aria-live': 'polite' });
  const obliterated = h('input', { type: 'checkbox', id: 'fa-obliterated', checked: !!f.serial_obliterated });
  const country = inp('country', f.country_of_manufacture, { maxLength: 2, pattern: '[A-Za-z]{2}', size: 3, autocomplete: 'off' });
  const year = inp('year', f.year_of_manufacture || '', { type: 'number', min: 1800, max: 2100 });
  const caseNo = inp('case', cs ? cs.case.number : '', { maxLength: 128 });
  const status = id ? null : h('select', { id: 'fa-status-initial' }, options(FIREARM_STATUSES, firearmStatus, f.status));
  const marks = rowsEditor('fa-import', f.import_marks || [], [['country', t('ui.fa.mark.country'), 2], ['year', t('ui.fa.year'), 4], ['importer', t('field.importer'), 128], ['text', t('ui.fa.mark.text'), 256]]);
  const other = rowsEditor('fa-marking', f.other_markings || [], [['text', t('ui.fa.mark.text'), 256], ['location', t('ui.fa.mark.location'), 128], ['kind', t('ui.fa.mark.kind'), 64]]);
  let kept = [...(f.photos || [])];
  const keptBox = h('div', { class: 'actions', id: 'fa-photos-kept' });
  const drawKept = () => clear(keptBox, kept.map((ref, i) => h('span', { class: 'inline' },
    h('img', { src: fileURL(ref), alt: t('ui.fa.photo_n', { N: i + 1 }), height: 80, loading: 'lazy' }),
    h('button', { type: 'button', class: 'ghost', 'aria-label': t('ui.fa.photo_remove', { N: i + 1 }), text: '×', onclick: () => { kept = kept.filter((r) => r !== ref); drawKept(); } }))));
  drawKept();
  const photos = fileInput('fa-photo-files', 'image/jpeg,image/png,image/tiff');
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary', id: 'fa-save', text: t('ui.save') });

  // The reference list resolves what is typed, in any script or alias.
  let suggestions = [];
  const lookup = debounce(async () => {
    const text = model.value.trim();
    if (!text) { modelRef.value = ''; modelNote.textContent = ''; return; }
    try {
      suggestions = (await api.get('/api/firearm-models' + api.qs({ q: text, limit: 6 }))).items || [];
      clear(modelList, suggestions.map((m) => h('option', { value: m.model.model, text: m.model.make + ' · ' + m.alias })));
      const exact = suggestions.find((m) => m.model.model === text || m.score >= 0.99);
      if (exact) {
        modelRef.value = exact.model.id;
        model.value = exact.model.model; // the reference name; the alias typed resolves to it
        if (!make.value) make.value = exact.model.make;
        if (exact.model.type && !id) type.value = exact.model.type;
        if (!calibre.value && exact.model.calibres?.length) calibre.value = exact.model.calibres[0];
        if (!country.value && exact.model.country) country.value = exact.model.country;
        modelNote.textContent = t('ui.fa.model_ref', { Model: exact.model.make + ' ' + exact.model.model });
      } else {
        modelRef.value = '';
        modelNote.textContent = suggestions.length ? t('ui.fa.model_pick') : t('ui.fa.model_unknown');
      }
    } catch { /* the list is a help only */ }
  }, 250);
  model.addEventListener('input', lookup);
  const translit = debounce(async () => {
    const v = serial.value.trim();
    if (!v) { serialTr.textContent = ''; return; }
    try {
      const r = await api.get('/api/transliterate' + api.qs({ text: v }));
      serialTr.textContent = t('ui.fa.serial_key', { Key: r.serial_key, Latin: r.latin });
    } catch { serialTr.textContent = ''; }
  }, 300);
  serial.addEventListener('input', translit);
  if (f.serial_number) translit();

  const form = h('form', { class: 'card form-grid', id: 'fa-form', onsubmit: async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    msg.hidden = true;
    button.disabled = true;
    try {
      let caseID = '';
      const number = caseNo.value.trim();
      if (number) {
        const found = ((await api.get('/api/cases' + api.qs({ q: number, limit: 10 }))).items || []).find((c) => c.number === number);
        if (!found) throw new Error(t('ui.fa.case_unknown', { Number: number }));
        caseID = found.id;
      }
      const body = {
        make: make.value.trim(), model: model.value.trim(), model_ref: modelRef.value, type: type.value, calibre: calibre.value.trim(),
        serial_number: serial.value.trim(), serial_obliterated: obliterated.checked, country_of_manufacture: country.value.trim().toUpperCase(),
        year_of_manufacture: Number(year.value) || 0, import_marks: marks.values().map((m) => ({ ...m, country: (m.country || '').toUpperCase(), year: Number(m.year) || 0 })),
        other_markings: other.values(), photos: kept.concat(await uploadFiles(photos)), case_id: caseID,
      };
      const saved = id ? await api.put('/api/firearms/' + id, body) : await api.post('/api/firearms', { ...body, status: status.value });
      toast(t('ui.saved'));
      navigate('/firearms/' + saved.id, { replace: !!id });
    } catch (err) {
      msg.textContent = err instanceof api.ApiError ? errorText(err) + (err.status === 422 && err.problem?.detail ? ' ' + err.problem.detail : '') : err.message;
      msg.hidden = false;
      button.disabled = false;
    }
  } },
  h('fieldset', {}, h('legend', { text: t('ui.fa.identity') }),
    labelled(t('field.model'), model, modelNote), modelList, modelRef,
    labelled(t('field.make') + ' *', make), labelled(t('field.type'), type), labelled(t('col.calibre'), calibre),
    labelled(t('field.serial'), serial, h('small', { class: 'muted' }, t('ui.fa.serial_entry_hint'), ' ', serialTr)),
    h('label', { class: 'inline' }, obliterated, t('field.serial_obliterated')),
    labelled(t('field.country'), country, t('ui.fa.country_hint')), labelled(t('ui.fa.year'), year)),
  h('fieldset', {}, h('legend', { text: t('ui.fa.import_marks') }), marks.el),
  h('fieldset', {}, h('legend', { text: t('field.markings') }), other.el),
  h('fieldset', {}, h('legend', { text: t('ui.fa.photos') }), keptBox, labelled(t('ui.fa.add_photos'), photos, fileHint('fa-photo-files'))),
  h('fieldset', {}, h('legend', { text: t('ui.fa.custody_title') }),
    status ? labelled(t('ui.fa.initial_status'), status) : null,
    labelled(t('ui.fa.recovered_in'), caseNo, t('ui.fa.case_hint'))),
  msg, h('div', { class: 'actions' }, button, link(id ? '/firearms/' + id : '/firearms', { class: 'button', text: t('ui.cancel') })));
  main.append(breadcrumb(link('/firearms', { text: t('ui.fa.title') }), id ? link('/firearms/' + id, { text: firearmTitle(f) }) : null, title),
    h('h1', { text: title }), form);
  (id ? make : model).focus();
}

// rowsEditor edits a list of small records (import marks, markings): one
// row of inputs each, with add and remove buttons.
function rowsEditor(prefix, initial, cols) {
  const list = h('div', { class: 'rows', id: prefix + '-rows' });
  const add = (v = {}) => {
    const row = h('div', { class: 'row' }, cols.map(([k, label, max]) => h('input', { 'aria-label': label, placeholder: label, maxLength: max, value: v[k] ?? '', dataset: { k }, size: max <= 4 ? 4 : 14 })),
      h('button', { type: 'button', class: 'ghost', 'aria-label': t('ui.remove'), text: '×', onclick: () => row.remove() }));
    list.append(row);
    return row;
  };
  initial.forEach((v) => add(v));
  const addButton = h('button', { type: 'button', id: prefix + '-add', text: t('ui.add_row'), onclick: () => add().querySelector('input').focus() });
  return {
    el: h('div', {}, list, addButton),
    values: () => [...list.children].map((r) => Object.fromEntries([...r.querySelectorAll('input')].map((i) => [i.dataset.k, i.value.trim()])))
      .filter((o) => Object.values(o).some((v) => v !== '')),
  };
}

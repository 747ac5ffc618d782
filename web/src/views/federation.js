// Federated search from a scan (POST /api/federation/search): the scan's
// prepared features go to the trusted partner nodes; each searches what its
// sharing rules allow and answers candidates with their origin (agency,
// country, node). Peers that failed are listed with the reason, so a
// silent peer is never mistaken for "no match".
import { h, clear } from '../dom.js';
import { t, tc, num, int } from '../i18n.js';
import * as api from '../api.js';
import { errorText } from '../main.js';
import { table, countryName, badge } from './common.js';

export function federationPanel(scan) {
  const out = h('div', { class: 'fed-out', 'aria-live': 'polite' });
  const b = h('button', { type: 'button', class: 'fed-run', id: 'fed-run-' + scan.id, text: t('ui.fed.run') });
  b.addEventListener('click', async () => {
    b.disabled = true;
    clear(out, h('p', { class: 'muted', text: t('ui.fed.running') }));
    try {
      const res = await api.post('/api/federation/search', { scan_id: scan.id, want: 'thumbnails' });
      clear(out, result(res));
    } catch (e) {
      clear(out, h('p', { class: 'error', role: 'alert', text: e.status === 503 ? t('ui.fed.off') : errorText(e) + (e.problem?.detail && e.status === 422 ? ' ' + e.problem.detail : '') }));
    }
    b.disabled = false;
  });
  return h('div', { class: 'fed' }, h('h4', { text: t('ui.fed.title') }), h('p', { class: 'muted small', text: t('ui.fed.lead') }), b, out);
}

function result(res) {
  const peers = res.peers || [];
  const cands = res.candidates || [];
  if (!peers.length) return h('p', { class: 'notice', text: t('ui.fed.no_peers') });
  const failed = peers.filter((p) => !p.ok);
  return h('div', { class: 'fed-result' },
    h('p', { text: t('ui.fed.summary', { Peers: tc('ui.plural.peers', peers.length), Candidates: tc('plural.candidates', cands.length), Ms: int(res.elapsed_ms) }) }),
    failed.length ? h('p', { class: 'notice late', id: 'fed-failed', text: tc('ui.plural.peers_failed', failed.length) + ': ' + failed.map((p) => p.node + ' (' + countryName(p.country) + ') — ' + (p.error || '?')).join('; ') }) : null,
    table([t('ui.fed.peer'), t('ui.fed.country'), t('ui.filter.status'), t('ui.fed.answered')],
      peers.map((p) => h('tr', {}, h('td', { text: p.node }), h('td', { text: countryName(p.country) }),
        h('td', {}, p.ok ? badge(t('ui.fed.ok'), 'ts-answered') : badge(t('ui.fed.failed'), 'late'), p.ok ? '' : ' ' + (p.error || '')),
        h('td', { class: 'num', text: p.ok ? tc('plural.candidates', p.candidates) + ' · ' + int(p.elapsed_ms) + ' ms' : '—' }))), { class: 'list small fed-peers' }),
    cands.length ? table(['#', '', t('ui.score'), t('ui.agency'), t('ui.fed.country'), t('ui.fed.peer'), t('col.kind'), t('col.calibre'), t('ui.fed.detail')],
      cands.map((c, i) => h('tr', {}, h('td', { class: 'num', text: int(i + 1) }),
        h('td', {}, c.thumbnail ? h('img', { class: 'thumb', width: 64, height: 64, alt: t('ui.fed.thumb', { Agency: c.agency }), src: 'data:image/png;base64,' + c.thumbnail }) : '—'),
        scoreCell(c), h('td', { text: c.agency }), h('td', { text: countryName(c.country) }), h('td', { text: c.node }),
        h('td', { text: c.exhibit_kind ? t('kind.' + c.exhibit_kind) : '—' }), h('td', { text: c.calibre || '—' }), h('td', { text: t('ui.fed.detail.' + (c.detail || 'scores')) }))),
    { class: 'list fed-cands' }) : h('p', { class: 'empty', text: t('ui.fed.none') }),
    cands.some((c) => !c.compared) ? h('p', { class: 'muted small', 'aria-hidden': 'true', text: '* ' + t('ui.fed.coarse') }) : null);
}

// scoreCell shows the engine's score of a candidate the partner compared in
// full, and otherwise its coarse signature score, marked as such: the two
// scales differ and must not be read alike.
function scoreCell(c) {
  if (c.compared) return h('td', { class: 'num', text: num(c.score, 3) });
  const why = t('ui.fed.coarse');
  return h('td', { class: 'num muted', title: why }, num(c.coarse_score, 3), h('span', { class: 'sr-only', text: ' ' + why }), h('span', { 'aria-hidden': 'true', text: ' *' }));
}

// work wraps the conclusion, verification and my-work routes
// (docs/api-workstation.md).
import * as api from './api.js';
import { t } from './i18n.js';

export const AFTE = ['identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable'];

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

function pairHref(c) {
  return `/compare/${c.scan_a}/${c.scan_b}` + api.qs({ candidate: c.candidate_id || '', conclusion: c.id });
}

export const work = {
  async myWork() { return api.get('/api/my-work'); },
  async verifications() {
    const res = await api.get('/api/verifications');
    return (res.items || []).map((c) => ({ href: pairHref(c), title: t('ui.verify_pair', { Examiner: c.examiner_name || '', A: c.case_a ? c.case_a.slice(0, 8) : '' }), at: c.recorded_at, c }));
  },
  pairHref,
  list(params) { return api.get('/api/conclusions' + api.qs({ limit: 50, ...params })); },
  get(id) { return api.get('/api/conclusions/' + encodeURIComponent(id), { notFound: 'ui.err.conclusion_missing' }); },
  record(body) { return api.post('/api/conclusions', body, { notFound: body.candidate_id ? 'ui.err.candidate_missing' : 'ui.err.scan_missing' }); },
  verify(id, body) { return api.post('/api/conclusions/' + encodeURIComponent(id) + '/verification', body, { notFound: 'ui.err.conclusion_missing' }); },
  resolve(id, body) { return api.post('/api/conclusions/' + encodeURIComponent(id) + '/resolution', body, { notFound: 'ui.err.conclusion_missing' }); },
};

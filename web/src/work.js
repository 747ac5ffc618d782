// work wraps the conclusion, verification and my-work routes
// (docs/api-workstation.md).
import * as api from './api.js';

export const AFTE = ['identification', 'inconclusive_a', 'inconclusive_b', 'inconclusive_c', 'elimination', 'unsuitable'];

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

function pairHref(c) {
  return `/compare/${c.scan_a}/${c.scan_b}` + api.qs({ candidate: c.candidate_id || '', conclusion: c.id });
}

export const work = {
  async myWork() { return api.get('/api/my-work'); },
  pairHref,
  list(params) { return api.get('/api/conclusions' + api.qs({ limit: 50, ...params })); },
  get(id) { return api.get('/api/conclusions/' + encodeURIComponent(id), { notFound: 'ui.err.conclusion_missing' }); },
  record(body) { return api.post('/api/conclusions', body, { notFound: body.candidate_id ? 'ui.err.candidate_missing' : 'ui.err.scan_missing' }); },
  verify(id, body) { return api.post('/api/conclusions/' + encodeURIComponent(id) + '/verification', body, { notFound: 'ui.err.conclusion_missing' }); },
  resolve(id, body) { return api.post('/api/conclusions/' + encodeURIComponent(id) + '/resolution', body, { notFound: 'ui.err.conclusion_missing' }); },
};

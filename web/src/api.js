// The API client: JSON over fetch with the session cookie, the CSRF token
// on changing requests, and errors turned into one ApiError whose key names
// a message of the catalogs (so the user reads it in their language).

const session = { csrf: '', onExpired: null };

export class ApiError extends Error {
  constructor(status, problem, key) {
    super(problem?.detail || problem?.title || 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
    this.key = key;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// keyFor maps a status to a message key of the catalogs; callers may name
// a more specific key for 404 (a missing scan, a deleted candidate).
function keyFor(status, notFoundKey) {
  if (status === 401) return 'ui.err.session_expired';
  if (status === 403) return 'ui.err.forbidden';
  if (status === 404) return notFoundKey || 'ui.err.not_found';
  if (status === 409) return 'ui.err.conflict';
  if (status === 413) return 'ui.err.too_large';
  if (status === 422 || status === 400) return 'ui.err.invalid';
  if (status === 429) return 'ui.err.throttled';
  if (status === 503) return 'ui.err.busy';
  if (status >= 500) return 'ui.err.server';
  return 'ui.err.unknown';
}

export function setCSRF(token) { if (token) session.csrf = token; }
export function onExpired(fn) { session.onExpired = fn; }

// csrfFrom finds the CSRF token in a sign-in or whoami answer.
export function csrfFrom(body) {
  return body?.csrf_token || '';
}

export async function request(method, url, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData || body instanceof Blob) payload = body; // a File is sent as is (POST /api/files)
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  if (UNSAFE.has(method) && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  // A busy server answers 503 (transient); reads are retried twice, a little later.
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, { detail: e.message }, 'ui.err.network');
    }
    if (res.status !== 503 || method !== 'GET' || attempt >= 2) break;
    await new Promise((r) => setTimeout(r, 400 * (attempt + 1)));
  }
  const hdr = res.headers.get('X-CSRF-Token');
  if (hdr) session.csrf = hdr;
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : (opts.raw ? await res.arrayBuffer() : await res.text());
  if (!res.ok) {
    const err = new ApiError(res.status, typeof data === 'object' ? data : { detail: String(data || '') }, keyFor(res.status, opts.notFound));
    if (res.status === 401 && !opts.quiet401 && session.onExpired) session.onExpired(err);
    throw err;
  }
  return data;
}

export const get = (url, opts) => request('GET', url, undefined, opts);
export const post = (url, body, opts) => request('POST', url, body, opts);
export const put = (url, body, opts) => request('PUT', url, body, opts);
export const patch = (url, body, opts) => request('PATCH', url, body, opts);

// getBinary fetches url as an ArrayBuffer with its headers (height maps).
export async function getBinary(url, opts = {}) {
  const res = await fetch(url, { credentials: 'same-origin', signal: opts.signal });
  if (!res.ok) {
    const p = await res.json().catch(() => ({}));
    const err = new ApiError(res.status, p, keyFor(res.status, opts.notFound));
    if (res.status === 401 && session.onExpired) session.onExpired(err);
    throw err;
  }
  return { buf: await res.arrayBuffer(), headers: res.headers, type: res.headers.get('Content-Type') || '' };
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

// signIn opens a session (POST /api/auth/login): the answer sets the
// HttpOnly session cookie and carries the CSRF token for changing requests.
export async function signIn(username, password) {
  const res = await request('POST', '/api/auth/login', { username, password }, { quiet401: true });
  setCSRF(csrfFrom(res));
  return res;
}

export async function signOut() {
  try { await request('POST', '/api/auth/logout', undefined, { quiet401: true }); } finally { session.csrf = ''; }
}

// download posts body to url and saves the answer (a PDF report) under the
// file name the server gives.
export async function download(url, body, fallbackName) {
  const res = await fetch(url, { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/pdf', 'X-CSRF-Token': session.csrf }, body: JSON.stringify(body) });
  if (!res.ok) {
    const p = await res.json().catch(() => ({}));
    const err = new ApiError(res.status, p, keyFor(res.status));
    if (res.status === 401 && session.onExpired) session.onExpired(err);
    throw err;
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || fallbackName;
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href; a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return { name, sha256: res.headers.get('X-Report-SHA256') || '' };
}

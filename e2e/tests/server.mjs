// Starts `tracemark serve --demo` on a free port with a temporary data
// folder and waits until the demo's correlation runs are done.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PASSWORD = 'tracemark-demo';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// startServer starts the demo node. With country, the laboratory (agency
// LAB, which the demo fills) is created first with that ISO country, as
// trace requests and exchange need one: `tracemark admin create-admin`.
export async function startServer(bin, { country = '', args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-e2e-'));
  if (country) {
    const pw = join(dir, 'boss-password.txt');
    writeFileSync(pw, PASSWORD + '\n');
    execFileSync(bin, ['admin', 'create-admin', '--data', dir, '--agency', 'LAB', '--name', 'Local laboratory', '--country', country,
      '--user', 'boss', '--display-name', 'Laboratory head', '--password-file', pw], { stdio: 'pipe' });
    rmSync(pw);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--demo', '--data', dir, '--addr', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error('tracemark serve exited:\n' + log);
    if (Date.now() > deadline) { proc.kill(); throw new Error('tracemark serve did not start:\n' + log); }
    try { if ((await fetch(base + '/api/health')).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    base, dir, log: () => log,
    async stop() { proc.kill('SIGTERM'); await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]); if (proc.exitCode === null) proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
}

// api is a small signed-in API client for checks and set-up (not the UI under test).
export async function apiSession(base, username) {
  let res;
  // Right after start the demo's ingest keeps the database busy: retry a
  // transient answer (503) for a while.
  for (let i = 0; ; i++) {
    res = await fetch(base + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    if (res.status !== 503 || i >= 20) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await res.json();
  return async (path, init = {}) => {
    for (let i = 0; ; i++) {
      const r = await fetch(base + path, { ...init, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', ...(init.headers || {}) } });
      if (r.status === 503 && (init.method || 'GET') === 'GET' && i < 30) { await new Promise((res) => setTimeout(res, 2000)); continue; }
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.json();
    }
  };
}

// fadulRun waits until the correlation run of the Fadul 1-1 scan is done and
// returns it with the query scan.
export async function fadulRun(api, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cases = await api('/api/cases?q=DEMO-FADUL-1');
    const c = cases.items.find((x) => x.number === 'DEMO-FADUL-1');
    if (c) {
      const detail = await api('/api/cases/' + c.id);
      const scans = await api('/api/exhibits/' + detail.exhibits[0].id + '/scans');
      const runs = await api('/api/runs?scan=' + scans.items[0].id);
      const done = runs.items.find((r) => r.status === 'done');
      if (done) return { run: done, caseID: c.id, exhibitID: detail.exhibits[0].id, scan: scans.items[0] };
    }
    if (Date.now() > deadline) throw new Error('the Fadul correlation run did not finish in time');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

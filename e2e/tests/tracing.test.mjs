// Firearm tracing in a real browser (Debian's chromium, headless, driven by
// playwright-core) against `tracemark serve --demo`: a firearm recorded
// with the reference list's help, found by a serial with look-alike
// characters and by a model alias, its test fire linked and its graph
// drawn; a trace request's whole life between two nodes (KZ asks, UZ
// answers: draft, refused without a sharing rule, sent, overdue,
// acknowledged, answered, closed); the statistics with their charts and CSV;
// the language kept on the account across browsers; custody names;
// federated search from an exhibit (and a stopped partner named); the
// rights on screens; and a supervisor resolving a disagreement.
// Screenshots go to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, apiSession, freePort, PASSWORD } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, '..', '..', 'docs', 'screenshots');
const bin = process.env.TRACEMARK_BIN || resolve(here, '..', '..', 'tracemark');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

let server, uz, uzCard, browser, context, page, examinerAPI, verifierAPI;
const consoleErrors = [];
const fixture = {};

async function caseByNumber(api, number) {
  for (let i = 0; i < 120; i++) {
    const res = await api('/api/cases?q=' + encodeURIComponent(number));
    const c = res.items.find((x) => x.number === number);
    if (c) return api('/api/cases/' + c.id);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('case ' + number + ' did not appear');
}

async function firstScan(api, detail) {
  for (let i = 0; i < 120; i++) {
    const scans = await api('/api/exhibits/' + detail.exhibits[0].id + '/scans');
    if (scans.items.length) return scans.items[0];
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('no scan in ' + detail.case.number);
}

function key() { return 'e2e-' + Math.random().toString(16).slice(2); }

before(async () => {
  // Two nodes, each with its federation listener: Kazakhstan (the one under
  // test) and Uzbekistan (its partner).
  const [kzFed, uzFed] = [await freePort(), await freePort()];
  server = await startServer(bin, { country: 'KZ', args: ['--node', 'kz-cse', '--federation-addr', '127.0.0.1:' + kzFed] });
  uz = await startServer(bin, { country: 'UZ', args: ['--node', 'uz-gekc', '--federation-addr', '127.0.0.1:' + uzFed] });
  {
    const [kzAdmin, uzAdmin, uzLiaison] = [await apiSession(server.base, 'admin'), await apiSession(uz.base, 'admin'), await apiSession(uz.base, 'liaison')];
    const kzCard = await kzAdmin('/api/federation/card');
    uzCard = await uzAdmin('/api/federation/card');
    await kzAdmin('/api/federation/peers', { method: 'POST', body: JSON.stringify(uzCard) });
    await uzAdmin('/api/federation/peers', { method: 'POST', body: JSON.stringify(kzCard) });
    await uzLiaison('/api/sharing-rules', { method: 'POST', body: JSON.stringify({ peer: kzCard.fingerprint, kinds: ['exhibits'], detail: 'thumbnails', note: 'e2e: KZ may search' }) });
    await uzLiaison('/api/sharing-rules', { method: 'POST', body: JSON.stringify({ peer: kzCard.fingerprint, kinds: ['trace_requests'], detail: 'full', note: 'e2e: answers go back to KZ' }) });
    fixture.uzLiaison = uzLiaison;
  }
  examinerAPI = await apiSession(server.base, 'examiner');
  verifierAPI = await apiSession(server.base, 'verifier');
  const adminAPI = await apiSession(server.base, 'admin');
  // A second verifier acts as the supervisor of a disagreement.
  await adminAPI('/api/users', { method: 'POST', body: JSON.stringify({ username: 'supervisor', display_name: 'Demo supervisor', roles: ['verifier'], password: PASSWORD }) });
  // A confirmed hit: the two Fadul scans, identified and verified.
  const f1 = await caseByNumber(examinerAPI, 'DEMO-FADUL-1');
  const f2 = await caseByNumber(examinerAPI, 'DEMO-FADUL-2');
  const [s1, s2] = [await firstScan(examinerAPI, f1), await firstScan(examinerAPI, f2)];
  const hit = await examinerAPI('/api/conclusions', { method: 'POST', body: JSON.stringify({ scan_a: s1.id, scan_b: s2.id, conclusion: 'identification', notes: 'e2e hit', idempotency_key: key() }) });
  await verifierAPI('/api/conclusions/' + hit.id + '/verification', { method: 'POST', body: JSON.stringify({ conclusion: 'identification', idempotency_key: key() }) });
  // A test-fire exhibit in the Fadul case (the demo has none), and the case
  // the firearm was seized in.
  await examinerAPI('/api/cases/' + f1.case.id + '/exhibits', { method: 'POST', body: JSON.stringify({ label: 'TF1', kind: 'test_fire', role: 'reference', class: { calibre: '9x18mm Makarov' }, description: 'test fire, laboratory tank' }) });
  await examinerAPI('/api/cases', { method: 'POST', body: JSON.stringify({ number: 'KZ-2026-0417', title: 'Pistol seized at a checkpoint', offence: 'illegal possession', place_name: 'Shymkent' }) });
  // More records, so that the lists and charts have something to show.
  const liaisonAPI = await apiSession(server.base, 'liaison');
  const more = [
    { make: 'Kalashnikov Concern', model: 'AKS-74U', type: 'assault_rifle', calibre: '5.45x39mm', serial_number: '7791??', serial_obliterated: true, country_of_manufacture: 'RU', status: 'seized' },
    { make: 'Izhevsk Mechanical Plant', model: 'Makarov PM', type: 'pistol', calibre: '9x18mm Makarov', serial_number: 'ТК8842', country_of_manufacture: 'RU', year_of_manufacture: 1979, status: 'stolen' },
    { make: 'Glock', model: '17', type: 'pistol', calibre: '9x19mm Parabellum', serial_number: 'BXK412', country_of_manufacture: 'AT', status: 'lost' },
    { make: 'Tula Arms Plant', model: 'TOZ-34', type: 'shotgun', calibre: '12 gauge', serial_number: 'S1505', country_of_manufacture: 'RU', status: 'recovered' },
    { make: 'Norinco', model: 'Type 54', type: 'pistol', calibre: '7.62x25mm Tokarev', serial_number: '5B01', country_of_manufacture: 'CN', status: 'destroyed' },
  ];
  const made = [];
  for (const f of more) made.push(await liaisonAPI('/api/firearms', { method: 'POST', body: JSON.stringify(f) }));
  for (const [i, to] of [['MVD KR', 'KG'], ['MVD UZ', 'UZ'], ['MVD TJ', 'TJ']].entries()) {
    await liaisonAPI('/api/trace-requests', { method: 'POST', body: JSON.stringify({ firearm_id: made[i].id, addressee: { agency: to[0], country: to[1] },
      reason: 'Recovered at a crime scene; origin unknown.', legal_basis: 'ITI para 17', send: i > 0,
      ...(i === 1 ? { deadline: new Date(Date.now() - 3 * 86_400_000).toISOString() } : {}) }) });
  }
  // A disagreement for the supervisor: two synthetic cartridge cases.
  const a = await caseByNumber(examinerAPI, 'DEMO-SYN-firearm-001-shot-01').catch(() => null);
  const b = await caseByNumber(examinerAPI, 'DEMO-SYN-firearm-002-shot-01').catch(() => null);
  const [sa, sb] = a && b ? [await firstScan(examinerAPI, a), await firstScan(examinerAPI, b)] : [s2, s1];
  const c = await examinerAPI('/api/conclusions', { method: 'POST', body: JSON.stringify({ scan_a: sa.id, scan_b: sb.id, conclusion: 'identification', notes: 'e2e: seen as the same firearm', idempotency_key: key() }) });
  await verifierAPI('/api/conclusions/' + c.id + '/verification', { method: 'POST', body: JSON.stringify({ conclusion: 'elimination', notes: 'e2e: different firing pin', idempotency_key: key() }) });
  fixture.f1 = f1;
  fixture.disagreement = c.id;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (401|403|404|409|422|503)/.test(m.text())) consoleErrors.push(m.text()); });
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  await uz?.stop();
  await server?.stop();
});

async function shot(name) {
  await page.evaluate(() => document.querySelectorAll('#toast .toast').forEach((el) => el.remove()));
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(shots, name + '.png') });
}

async function signIn(p, user, base = server.base) {
  await p.goto(base + '/');
  await p.waitForSelector('#username');
  await p.fill('#username', user);
  await p.fill('#password', PASSWORD);
  for (let i = 0; ; i++) {
    await p.keyboard.press('Enter');
    const done = await Promise.race([
      p.waitForSelector('#signout', { timeout: 60_000 }).then(() => true),
      p.waitForSelector('form.signin .error:not([hidden])', { timeout: 60_000 }).then(() => false),
    ]);
    if (done) return;
    const msg = await p.textContent('form.signin .error');
    if (i >= 5) throw new Error('sign-in failed: ' + msg);
    await p.focus('#password');
  }
}

async function signOut(p) {
  await p.click('#signout');
  await p.waitForSelector('#username');
}

// toEnglish makes sure the page is in English (a previous choice may be
// kept on the account or in the browser).
async function toEnglish(p) {
  if ((await p.getAttribute('html', 'lang')) !== 'en') {
    await p.selectOption('#lang', 'en');
    await p.waitForFunction(() => document.documentElement.lang === 'en' && document.querySelector('#signout')?.textContent === 'Sign out');
  }
}

// onePixelPNG is a valid 1×1 PNG (a firearm photograph for the upload).
const onePixelPNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('firearm tracing workstation', { timeout: 720_000 }, async (t) => {
  let firearmURL;
  await t.test('record a firearm: the reference list resolves "ПМ" and fills make, type, calibre', async () => {
    await signIn(page, 'liaison');
    await toEnglish(page);
    // My work reminds of the overdue request to Uzbekistan.
    await page.waitForSelector('#work-traces li.overdue a');
    // Buttons follow the rights: a liaison officer may not search leads.
    await page.keyboard.press('g');
    await page.keyboard.press('f');
    await page.waitForSelector('#firearms-table, #main .empty');
    await page.click('#fa-new');
    await page.waitForSelector('#fa-form');
    await page.fill('#fa-model', 'ПМ');
    await page.waitForFunction(() => /Makarov PM/.test(document.querySelector('#fa-model-note').textContent));
    assert.equal(await page.inputValue('#fa-make'), 'Izhevsk Mechanical Plant');
    assert.equal(await page.inputValue('#fa-type-edit'), 'pistol');
    assert.match(await page.inputValue('#fa-calibre'), /9x18/);
    await page.fill('#fa-serial', 'KA3105');
    await page.fill('#fa-year', '1984');
    await page.click('#fa-import-add');
    const mark = page.locator('#fa-import-rows .row').first();
    await mark.locator('input').nth(0).fill('KZ');
    await mark.locator('input').nth(1).fill('1996');
    await mark.locator('input').nth(2).fill('Kazspecimport');
    await page.click('#fa-marking-add');
    const other = page.locator('#fa-marking-rows .row').first();
    await other.locator('input').nth(0).fill('ИЖ');
    await other.locator('input').nth(1).fill('frame, left side');
    await page.fill('#fa-case', 'KZ-2026-0417');
    await shot('firearm-form');
    await page.click('#fa-save');
    await page.waitForURL(/\/firearms\/[0-9a-f-]{36}$/);
    firearmURL = page.url();
    await page.waitForSelector('#fa-history');
    assert.match(await page.textContent('main h1'), /Makarov PM · KA3105/);
    assert.equal(await page.$('#fa-leads-run'), null, 'no lead search button without the right');
  });

  await t.test('change its status and link a test fire; the history keeps both', async () => {
    await page.selectOption('#fa-new-status', 'in_reference_collection');
    await page.fill('#fa-status-note', 'handed to the reference collection');
    await page.click('#fa-status-submit');
    await page.waitForFunction(() => document.querySelectorAll('#fa-history tbody tr').length === 2);
    await page.fill('#fa-tf-case', 'DEMO-FADUL-1');
    await page.waitForSelector('#fa-tf-exhibit:not([hidden])');
    await page.click('#fa-tf-link');
    await page.waitForFunction(() => document.querySelectorAll('#fa-history tbody tr').length === 3);
    assert.match(await page.textContent('#fa-testfires'), /TF1/);
  });

  await t.test('edit the record: fields change, import marks stay', async () => {
    await page.click('#fa-edit');
    await page.waitForSelector('#fa-form');
    assert.equal(await page.$$eval('#fa-import-rows .row', (r) => r.length), 1);
    await page.fill('#fa-calibre', '9x18mm Makarov (PM)');
    // A file that is not an image is refused by the server, and nothing is saved.
    await page.setInputFiles('#fa-photo-files', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await page.click('#fa-save');
    await page.waitForFunction(() => /notes\.png/.test(document.querySelector('#fa-form .error:not([hidden])')?.textContent || ''));
    assert.match(page.url(), /\/edit$/);
    // A real photograph is uploaded, then the record names it.
    await page.setInputFiles('#fa-photo-files', { name: 'markings.png', mimeType: 'image/png', buffer: Buffer.from(onePixelPNG, 'base64') });
    await page.click('#fa-save');
    await page.waitForURL(firearmURL);
    await page.waitForFunction(() => /9x18mm Makarov \(PM\)/.test(document.querySelector('main').textContent) && /Kazspecimport/.test(document.querySelector('main').textContent));
    // The firearm page shows it as a thumbnail, loaded from /api/files (same origin, allowed by the CSP).
    await page.waitForFunction(() => { const img = document.querySelector('#fa-photos img'); return img && img.complete && img.naturalWidth === 1; });
    assert.match(await page.getAttribute('#fa-photos img', 'src'), /^\/api\/files\/sha256-[0-9a-f]{64}$/);
  });

  await t.test('the graph links firearm, test fire, cases (with the confirmed hit) and agency', async () => {
    await page.waitForSelector('#fa-graph');
    const labels = await page.$$eval('#fa-graph .glabel', (l) => l.map((x) => x.textContent));
    for (const want of ['TF1', 'DEMO-FADUL-1', 'DEMO-FADUL-2', 'KZ-2026-0417']) assert.ok(labels.some((l) => l.includes(want)), want + ' in the graph: ' + labels);
    assert.ok(await page.$('#fa-graph path.ge-hit'), 'the hit is drawn');
    assert.ok(await page.$('#fa-graph path.ge-linked'), 'the case reached through the hit is drawn');
    // Keyboard: a node is a link.
    await page.focus('#fa-graph a[href^="/cases/"]');
    assert.match(await page.evaluate(() => document.activeElement.getAttribute('href')), /^\/cases\//);
    await page.$eval('#fa-graph-card', (el) => el.scrollIntoView({ block: 'start' }));
    await shot('firearm-graph');
  });

  await t.test('search: a serial with look-alikes (O for 0, wildcard) and a model alias in Latin', async () => {
    await page.goto(server.base + '/firearms');
    await page.waitForSelector('#fa-serial');
    await page.fill('#fa-serial', 'KA31O*');
    await page.waitForFunction(() => (document.querySelector('#firearms-table thead')?.textContent || '').includes('Score') &&
      [...document.querySelectorAll('#firearms-table tbody tr')].some((r) => r.textContent.includes('KA3105')));
    const score = Number((await page.textContent('#firearms-table tbody tr td:last-child')).replace(',', '.'));
    assert.ok(score > 0 && score < 1, 'a look-alike match scores below 1: ' + score);
    await page.fill('#fa-serial', '');
    await page.fill('#fa-q', 'Pistolet Makarova');
    await page.waitForFunction(() => /Makarov PM/.test(document.querySelector('#fa-note').textContent) &&
      [...document.querySelectorAll('#firearms-table tbody tr')].some((r) => r.textContent.includes('KA3105')));
    await shot('firearms');
    // Transliteration: the marking "ИЖ" is found when typed in Latin.
    await page.fill('#fa-q', 'IZh');
    await page.waitForFunction(() => !/Makarov PM/.test(document.querySelector('#fa-note').textContent) &&
      [...document.querySelectorAll('#firearms-table tbody tr')].some((r) => r.textContent.includes('KA3105')));
  });

  await t.test("a trace request's life between two nodes: draft, refused, sent, overdue, acknowledged and answered there, closed", async () => {
    await page.goto(firearmURL);
    await page.click('#fa-trace');
    await page.waitForSelector('#tr-form');
    assert.notEqual(await page.inputValue('#tr-firearm'), '', 'the firearm is chosen');
    await page.selectOption('#tr-to-kind', 'peer:' + uzCard.fingerprint);
    await page.fill('#tr-contact', 'Maj. A. Seitkali');
    await page.fill('#tr-case', 'KZ-2026-0417');
    await page.fill('#tr-reason', 'Seized at a checkpoint without a permit; the import mark names Kazspecimport.');
    await page.fill('#tr-legal', 'ITI para 17');
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.fill('#tr-deadline', yesterday);
    await page.setInputFiles('#tr-files', { name: 'request-letter.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% request letter KZ-2026-0417\n%%EOF\n') });
    await page.click('#tr-save-draft');
    await page.waitForSelector('.steps li.now');
    assert.equal(await page.textContent('.steps li.now'), 'Draft');
    assert.equal(await page.$$eval('#tr-attachments a', (a) => a.length), 1, 'the uploaded letter is attached');
    const requestURL = page.url();
    // No sharing rule lets trace requests go to Uzbekistan yet: refused, the draft says why.
    await page.click('#tr-to-sent');
    await page.waitForSelector('#tr-delivery');
    assert.match(await page.textContent('#tr-delivery'), /Refused|Not delivered/);
    assert.equal(await page.textContent('.steps li.now'), 'Draft');
    const kzLiaison = await apiSession(server.base, 'liaison');
    await kzLiaison('/api/sharing-rules', { method: 'POST', body: JSON.stringify({ peer: uzCard.fingerprint, kinds: ['trace_requests'], detail: 'full', note: 'e2e: trace requests to UZ' }) });
    await page.click('#tr-to-sent');
    await page.waitForFunction(() => document.querySelector('.steps li.now')?.textContent === 'Sent');
    assert.match(await page.textContent('#tr-delivery'), /Delivered to the partner node/);
    assert.match(await page.textContent('main h1'), /overdue/, 'the passed deadline shows');
    await shot('trace-request-partner');

    // At the Uzbek node, its liaison officer acknowledges and answers.
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
    const p2 = await other.newPage();
    p2.on('pageerror', (e) => consoleErrors.push(e.message));
    await signIn(p2, 'liaison', uz.base);
    await toEnglish(p2);
    await p2.goto(uz.base + '/traces');
    await p2.waitForSelector('#traces-table a.open-trace');
    assert.match(await p2.textContent('#traces-table'), /Kazakhstan/);
    await p2.click('#traces-table a.open-trace');
    await p2.waitForSelector('#tr-to-acknowledged');
    // The letter came with the request and opens at the Uzbek node (a file of its agency now).
    const letter = await p2.$eval('#tr-attachments a', (a) => fetch(a.href).then(async (r) => [r.status, r.headers.get('Content-Type'), await r.text()]));
    assert.deepEqual(letter.slice(0, 2), [200, 'application/pdf']);
    assert.match(letter[2], /request letter KZ-2026-0417/);
    await p2.click('#tr-to-acknowledged');
    await p2.waitForFunction(() => document.querySelector('.steps li.now')?.textContent === 'Acknowledged');
    await p2.evaluate(() => document.querySelectorAll('#toast .toast').forEach((el) => el.remove()));
    await p2.screenshot({ path: join(shots, 'trace-request.png') });
    await p2.fill('#tr-answer-text', 'Imported 1996 by Kazspecimport for a hunting club in Termez; reported stolen in 2019.');
    await p2.fill('#tr-answer-owner', 'Hunting club «Berkut», Termez');
    await p2.click('#tr-answer-submit');
    await p2.waitForFunction(() => document.querySelector('.steps li.now')?.textContent === 'Answered');
    await other.close();

    // Back in Kazakhstan the answer has arrived; the requester closes.
    await page.goto(requestURL);
    await page.waitForFunction(() => document.querySelector('.steps li.now')?.textContent === 'Answered');
    assert.match(await page.textContent('#tr-answers'), /Berkut/);
    await page.click('#tr-to-closed');
    await page.waitForFunction(() => document.querySelector('.steps li.now')?.textContent === 'Closed');
    assert.ok(await page.$$eval('#tr-events tbody tr', (r) => r.length) >= 4);
    const atUZ = await fixture.uzLiaison('/api/trace-requests?direction=incoming');
    assert.equal(atUZ.items.length, 1);
    assert.equal(atUZ.items[0].status, 'closed', 'the close reached Uzbekistan');
    // The firearm's record lists it.
    await page.goto(firearmURL);
    await page.waitForSelector('#fa-traces a[href^="/traces/"]');
    assert.match(await page.textContent('#fa-traces'), /Closed/);
    // The outgoing list of the agency shows it with the others.
    await page.keyboard.press('g');
    await page.keyboard.press('t');
    await page.waitForSelector('#tr-tab-outgoing');
    await page.click('#tr-tab-outgoing');
    await page.waitForFunction(() => document.querySelector('#tr-tab-outgoing').getAttribute('aria-pressed') === 'true' && document.querySelectorAll('#traces-table tbody tr').length === 4);
    assert.match(await page.textContent('#traces-table'), /Closed/);
    assert.match(await page.textContent('#traces-table'), /Kyrgyzstan/);
    await shot('trace-requests');
  });

  await t.test('statistics: charts with their tables, and the CSV', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await page.waitForSelector('#st-chart-firearms rect.bar');
    assert.match(await page.textContent('#st-table-firearms'), /In reference collection/);
    assert.match(await page.textContent('#st-table-traces'), /Closed/);
    assert.match(await page.textContent('#st-table-traces'), /Uzbekistan/);
    const hits = await page.$$eval('#st-table-hits tbody td', (tds) => tds.reduce((a, td) => a + Number(td.textContent), 0));
    assert.ok(hits >= 1, 'the confirmed hit is counted');
    assert.equal(await page.getAttribute('#st-chart-hits', 'aria-describedby'), 'st-table-hits');
    const csv = await page.evaluate(async () => (await fetch(document.querySelector('#st-csv-firearms').href, { credentials: 'same-origin' })).text());
    assert.match(csv, /^status,/);
    assert.match(csv, /in_reference_collection/);
    await shot('statistics');
  });

  await t.test('the language is kept on the account: another browser opens in Kazakh', async () => {
    await page.selectOption('#lang', 'kk');
    await page.waitForFunction(() => document.documentElement.lang === 'kk');
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
    const p2 = await other.newPage();
    await signIn(p2, 'liaison');
    await p2.waitForFunction(() => document.documentElement.lang === 'kk');
    assert.match(await p2.textContent('header'), /Қару/);
    await p2.goto(server.base + '/statistics');
    await p2.waitForSelector('#st-chart-firearms');
    await p2.screenshot({ path: join(shots, 'statistics-kk.png') });
    await other.close();
    await toEnglish(page);
  });

  await t.test('custody names who acted', async () => {
    await signOut(page);
    await signIn(page, 'examiner');
    await toEnglish(page);
    await page.goto(server.base + '/exhibits/' + fixture.f1.exhibits[0].id);
    await page.waitForSelector('#custody tbody tr');
    const by = await page.$$eval('#custody tbody td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
    assert.ok(by.length && by.every((n) => /Demo|examiner|technician/.test(n)), 'names, not IDs: ' + by);

  });

  await t.test('federated search across two nodes: candidates with their origin, then a stopped partner named', { timeout: 400_000 }, async () => {
    // The partner's demo scans are ingested in the background: ask until it answers candidates.
    await page.goto(server.base + '/exhibits/' + fixture.f1.exhibits[0].id);
    for (let i = 0; ; i++) {
      await page.click('.fed-run');
      await page.waitForSelector('.fed-result, .fed-out .error', { timeout: 120_000 });
      if (await page.$('.fed-cands tbody tr')) break;
      if (i >= 40) throw new Error('the partner never answered a candidate: ' + await page.textContent('.fed-out'));
      await page.waitForTimeout(3000);
    }
    const first = await page.textContent('.fed-cands tbody tr');
    assert.match(first, /Uzbekistan/);
    assert.match(first, /uz-gekc/);
    assert.match(await page.textContent('.fed-peers'), /answered/);
    await page.$eval('.fed', (el) => el.scrollIntoView({ block: 'start' }));
    await shot('federated-search');
    await uz.stop();
    uz = null;
    await page.click('.fed-run');
    await page.waitForSelector('#fed-failed', { timeout: 120_000 });
    assert.match(await page.textContent('#fed-failed'), /1 partner did not answer: uz-gekc \(Uzbekistan\)/);
  });

  await t.test('screens follow the rights: an examiner searches leads but sends no trace request; an administrator sees statistics only', async () => {
    await page.goto(firearmURL);
    await page.waitForSelector('#fa-leads-run');
    assert.equal(await page.$('#fa-trace'), null);
    // TF1 has no scan yet: the search says so instead of finding nothing silently.
    await page.click('#fa-leads-run');
    await page.waitForFunction(() => /Searched 0 test-fire scans: 0 leads/.test(document.querySelector('#fa-leads').textContent));
    assert.ok(await page.$('#fa-edit'));
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
    const p2 = await other.newPage();
    await signIn(p2, 'admin');
    await p2.waitForSelector('#work-admin');
    const nav = await p2.$$eval('header nav a', (a) => a.map((x) => x.getAttribute('href')));
    assert.ok(nav.includes('/statistics') && !nav.includes('/firearms') && !nav.includes('/cases') && !nav.includes('/traces'), 'admin menu: ' + nav);
    await other.close();
  });

  await t.test('a supervisor resolves a disagreement', async () => {
    await signOut(page);
    await signIn(page, 'supervisor');
    await toEnglish(page);
    await page.waitForSelector('#work-disagreements a.open-conclusion');
    await page.click('#work-disagreements a.open-conclusion');
    await page.waitForSelector('#concl-form-resolve');
    assert.match(await page.textContent('#outcome'), /Disagreement/);
    await page.check('#afte-resolve-inconclusive_b');
    await page.fill('#concl-notes', 'Agreement on class, not enough individual marks.');
    await page.click('#concl-submit');
    await page.waitForFunction(() => /Resolved by the supervisor/.test(document.querySelector('#outcome')?.textContent || ''));
    const stored = await verifierAPI('/api/conclusions/' + fixture.disagreement);
    assert.equal(stored.status, 'resolved');
    assert.equal(stored.final_conclusion, 'inconclusive_b');
    await shot('resolved-by-supervisor');
  });

  assert.deepEqual(consoleErrors, [], 'no script errors in the page');
});

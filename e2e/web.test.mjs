// End-to-end tests of the analyst web page, driven as a person would: Debian's Chromium
// (headless, through playwright-core) against `sanctions serve` on 127.0.0.1, over a store
// loaded from the real UN and OFAC files of ../shared/data, with API keys configured and
// monitoring alerts set up through the CLI.
//
//   npm --prefix e2e test                    # the tests
//   npm --prefix e2e run screenshots         # the same, saving docs/screenshots/*.png
//
// Environment: SANCTIONS_BIN (a built `sanctions`; else `cargo build -p sanctions-cli`),
// SANCTIONS_SHARED_DATA (else ../shared/data beside the project), CHROMIUM (else
// /usr/bin/chromium), E2E_SCREENSHOTS (a folder for the screenshots; else a temporary one).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const shared = process.env.SANCTIONS_SHARED_DATA || path.resolve(root, '..', 'shared', 'data');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const READ_KEY = 'e2e-read-' + process.pid;
const ADMIN_KEY = 'e2e-admin-' + process.pid;
const WAIT = { timeout: 30_000 };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sanctions-e2e-'));
const shots = process.env.E2E_SCREENSHOTS
  ? path.resolve(here, process.env.E2E_SCREENSHOTS)
  : path.join(tmp, 'screenshots');
const db = path.join(tmp, 'sanctions.sqlite');

let bin;
let server;
let base;
let browser;
let page;
const outside = [];
const problems = [];
const failed = [];

function sha256(s) {
  return createHash('sha256').update(s).digest('hex');
}

function locateBinary() {
  if (process.env.SANCTIONS_BIN) return process.env.SANCTIONS_BIN;
  const r = spawnSync('cargo', ['build', '-p', 'sanctions-cli', '--bin', 'sanctions', '--message-format=json-render-diagnostics'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, 'cargo build -p sanctions-cli failed');
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.reason === 'compiler-artifact' && m.executable && m.target && m.target.name === 'sanctions') return m.executable;
  }
  throw new Error('cargo did not report the sanctions binary');
}

/** Runs the CLI on the test store; returns stdout. */
function cli(...args) {
  const r = spawnSync(bin, ['--db', db, ...args], { encoding: 'utf8', env: { ...process.env, SANCTIONS_DB: db } });
  assert.equal(r.status, 0, `sanctions ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--db', db, 'serve', '--addr', '127.0.0.1:0'], {
      env: {
        ...process.env,
        SANCTIONS_DB: db,
        SANCTIONS_API_KEYS: `analyst:read:${sha256(READ_KEY)},lead:admin:${sha256(ADMIN_KEY)}`,
        RUST_LOG: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    const timer = setTimeout(() => reject(new Error('the server did not start:\n' + err)), 90_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      err += d;
      const m = /sanctions: serving on (http:\/\/[0-9.:]+)/.exec(err);
      if (m && !base) {
        clearTimeout(timer);
        base = m[1];
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${err}`)));
  });
}

async function api(method, p, key, body) {
  const resp = await fetch(base + p, {
    method,
    headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: resp.status, body: await resp.json() };
}

/** Form fields on the page that have no label (by <label for>, wrapping label, or aria-label). */
async function unlabelled() {
  return page.evaluate(() => Array.from(document.querySelectorAll('main input, main select, main textarea, dialog input'))
    .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML));
}

async function shot(name, fullPage = false) {
  assert.deepEqual(await unlabelled(), [], 'every form field has a label');
  fs.mkdirSync(shots, { recursive: true });
  // From the top, so that the sticky header stays at the top of a full-page picture.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage });
}

before(async () => {
  const started = Date.now();
  bin = locateBinary();
  // Two UN versions (TAi.003 and TAi.026 amended, QDe.137 removed between them) and OFAC.
  cli('import', 'un', path.join(shared, 'un', 'consolidated-2026-02-27.xml'));
  cli('import', 'ofac', path.join(shared, 'ofac', 'sdn-2024-05-03.csv'));
  const customers = path.join(tmp, 'customers.csv');
  fs.writeFileSync(customers, [
    'id,name,birth_date,nationality,kind,identifiers',
    'c1,John Smith,1970-03-02,US,person,',
    'c2,Amir Khan Motaqi,1968,AF,person,',
    'c3,Sami Jasim Muhammad Jaata al-Jaburi,,,person,',
    'c4,Al-Nusrah Front for the People of the Levant,,,organization,',
    'c5,Abdul Kabir Mohammad Jan,,,person,',
    '',
  ].join('\n'));
  cli('monitor', 'add', customers);
  cli('monitor', 'run');
  // An analyst clears c5 before the list changes; the amendment of TAi.003 re-opens it.
  const first = JSON.parse(cli('monitor', 'alerts', '--open', '--json'));
  const c5 = first.find((a) => a.customer_id === 'c5');
  assert.ok(c5, 'c5 raised an alert on the first run');
  cli('decide', String(c5.id), '--false-positive', '--reason', 'customer born 1990; listed person born 1963', '--by', 'ana');
  cli('import', 'un', path.join(shared, 'un', 'consolidated-2026-05-08.xml'));
  cli('monitor', 'run');
  server = await startServer();

  // A fresh profile (user data dir) for every run.
  browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 860 },
    locale: 'en-GB',
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(WAIT.timeout);
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/')) outside.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(r.status() + ' ' + r.request().method() + ' ' + new URL(r.url()).pathname);
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    // Chromium logs the API's 4xx answers as failed loads; they are checked one by one below.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    problems.push(m.type() + ': ' + m.text());
  });
  console.log(`# set-up (store, monitoring, server, browser): ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  if (process.env.E2E_SCREENSHOTS) console.log('# screenshots in ' + shots);
});

test('the page asks for the API key on the first 401 and keeps it in sessionStorage', async () => {
  await page.goto(base + '/#/screen');
  const dialog = page.locator('#key-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await page.locator('#key-why').textContent(), /needs an API key/);
  await page.locator('#key-input').fill(READ_KEY);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await page.getByText('Screening against un 2026-05-08 (#').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('sanctions.apiKey')), READ_KEY);
  assert.equal(await page.locator('#key-state').textContent(), 'key set');
});

test('type "Amir Khan Muttaqi": TAi.026 comes first with its reasons', async () => {
  // By keyboard: "/" focuses the name, Enter screens.
  await page.locator('h1').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q-name');
  await page.keyboard.type('Amir Khan Muttaqi');
  await page.keyboard.press('Enter');
  const first = page.locator('li.hit').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-reference'), 'TAi.026');
  assert.equal(await first.getAttribute('data-source'), 'un');
  assert.match(page.url(), /#\/screen\?name=Amir\+Khan\+Muttaqi$/);
  const text = await first.innerText();
  assert.match(text, /1\.00/);
  assert.match(text, /AMIR KHAN MOTAQI/);
  assert.match(text, /Matched the strong alias\W+Amir Khan Muttaqi\W*: name score 1\.00/);
  assert.match(text, /travel ban/);
  const rows = await first.locator('table.words tbody tr').allInnerTexts();
  assert.deepEqual(rows.map((r) => r.split(/\s+/).slice(0, 3).join(' ')).sort(),
    ['amir = amir', 'khan = khan', 'muttaqi = muttaqi']);
  assert.ok(rows.every((r) => r.includes('same word')), rows.join('\n'));

  // Another romanisation, with a birth date and nationality: the reasons say how each word
  // met, and which attributes agree.
  await page.locator('#q-name').fill('Amir Khan Mottaki');
  await page.locator('#q-dob').fill('1968');
  await page.locator('#q-nat').fill('Afghanistan');
  await page.locator('#q-name').press('Enter');
  await page.waitForURL(/dob=1968/);
  const hit = page.locator('li.hit').first();
  await hit.locator('li.attr').first().waitFor();
  assert.equal(await hit.getAttribute('data-reference'), 'TAi.026');
  const reasons = await hit.innerText();
  assert.match(reasons, /mottaki\s+≈\s+(motaqi|muttaqi|mutaqi)\s+(spelling variant|close spelling)/);
  assert.match(reasons, /Birth date agrees: born 1968/);
  assert.match(reasons, /Nationality agrees/);
  await shot('screen');
});

test('open TAi.026 and read its amendments', async () => {
  // By keyboard: j focuses the first result, Enter opens it.
  await page.locator('#results-head').focus();
  await page.keyboard.press('j');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /un:TAi\.026/);
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/entry\/un\/TAi\.026/);
  await page.locator('ol.timeline').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'AMIR KHAN MOTAQI');
  const names = await page.locator('table.names').innerText();
  assert.match(names, /امیر خان متقی/);
  assert.match(names, /Amir Khan Muttaqi/);
  const data = await page.locator('.entry-data').innerText();
  assert.match(data, /circa 1968/);
  assert.match(data, /Passport/);
  await page.locator('.regimes').waitFor();
  assert.match(await page.locator('.regimes').innerText(), /un-taliban.*asset freeze.*travel ban.*arms embargo/s);

  const steps = page.locator('ol.timeline > li');
  assert.equal(await steps.count(), 2);
  assert.match(await steps.nth(0).innerText(), /Listed\s+2026-02-27/);
  const amended = steps.nth(1);
  assert.match(await amended.innerText(), /Amended\s+2026-05-08/);
  // Field-level changes, highlighted: a new alias, and the words added to a designation.
  assert.ok(await amended.locator('ins', { hasText: 'AMIR KHAN MUTAQI (alias)' }).count() >= 1);
  assert.ok(await amended.locator('.wdiff ins', { hasText: '(1996-2001)' }).count() >= 1);
  assert.ok(await amended.locator('del').count() >= 1, 'removed words are shown struck');
  assert.match(await page.locator('ol.timeline > li.shown').innerText(), /^Amended/);
  await shot('entry', true);

  // As the list stood before the amendment.
  await page.locator('#e-asof').fill('2026-03-01');
  await page.locator('#e-asof').press('Enter');
  await page.waitForURL(/as_of=2026-03-01/);
  await page.getByText('from version #1 published 2026-02-27').waitFor();
  assert.doesNotMatch(await page.locator('table.names').innerText(), /AMIR KHAN MUTAQI/);
  assert.match(await page.locator('ol.timeline > li.shown').innerText(), /^Listed/);
});

test('compare two UN versions: QDe.137 removed, with a link to its entry', async () => {
  await page.locator('h1').click();
  await page.keyboard.press('g');
  await page.keyboard.press('l');
  await page.waitForURL(/#\/lists$/);
  await page.locator('table.versions').first().waitFor();
  const un = await page.locator('#src-un').locator('xpath=..').innerText();
  assert.match(un, /2026-02-27/);
  assert.match(un, /2026-05-08\s*serving/);
  assert.match(un, /1,003/);
  assert.match(un, /1,009/);
  await page.locator('#from-un').selectOption({ label: await page.locator('#from-un option', { hasText: '2026-02-27' }).textContent() });
  await page.locator('#to-un').selectOption({ label: await page.locator('#to-un option', { hasText: '2026-05-08' }).textContent() });
  await page.locator('#compare-un button[type=submit]').click();
  await page.locator('#diff-head').waitFor();
  assert.match(await page.locator('#diff-head').textContent(), /2026-02-27.*2026-05-08/);
  const removed = page.locator('.diff-block.removed');
  assert.match(await removed.innerText(), /Removed \(1\)\s+un:QDe\.137 AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT/);
  assert.match(await page.locator('.diff-block.added').innerText(), /un:QDi\.437/);
  assert.match(await page.locator('.diff-block.amended h3').innerText(), /Amended \(\d+\)/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('lists');

  // The filter narrows every block.
  await page.locator('#diff-filter').fill('tai.003');
  const visible = page.locator('.diff-block.amended li[data-text]:visible');
  assert.equal(await visible.count(), 1);
  assert.match(await visible.innerText(), /ABDUL KABIR MOHAMMAD JAN/);
  await page.locator('#diff-filter').fill('');

  // Each change links to its entry; a removed one reads as delisted.
  await removed.getByRole('link', { name: 'un:QDe.137' }).click();
  await page.waitForURL(/#\/entry\/un\/QDe\.137/);
  await page.locator('ol.timeline').waitFor();
  assert.match(await page.locator('.notice').innerText(), /Delisted: removed from the list in version #\d+ published 2026-05-08/);
  assert.match(await page.locator('ol.timeline > li').last().innerText(), /Delisted\s+2026-05-08/);
});

test('screen as of a date: an entry delisted since is found; the Entry page opens by reference', async () => {
  const name = 'Al-Nusrah Front for the People of the Levant';
  await page.goto(base + '/#/screen');
  await page.locator('#q-name').fill(name);
  await page.locator('#q-asof').fill('2026-03-01');
  await page.locator('#q-name').press('Enter');
  await page.waitForURL(/as_of=2026-03-01/);
  await page.locator('#results-head').waitFor();
  assert.match(await page.locator('.provenance').innerText(), /un 2026-02-27 \(#1\)/);
  assert.equal(await page.locator('li.hit').first().getAttribute('data-reference'), 'QDe.137');
  // Its link keeps the date: the entry as it stood then.
  assert.match(await page.locator('li.hit a.ref').first().getAttribute('href'), /as_of=2026-03-01$/);
  // On the latest lists it is gone.
  await page.locator('#q-asof').fill('');
  await page.locator('#q-name').press('Enter');
  await page.waitForURL((u) => !/as_of/.test(u.hash));
  await page.locator('#results-head').waitFor();
  assert.equal(await page.locator('li.hit[data-reference="QDe.137"]').count(), 0);

  await page.locator('h1').click();
  await page.keyboard.press('g');
  await page.keyboard.press('e');
  await page.waitForURL(/#\/entry$/);
  await page.locator('#e-ref').fill('QDi.437');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/entry\/un\/QDi\.437$/);
  await page.locator('ol.timeline').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'SAMI JASIM MUHAMMAD JAATA AL-JABURI');
  assert.match(await page.locator('ol.timeline').innerText(), /^Listed\s+2026-05-08/);
  assert.deepEqual(await unlabelled(), []);
});

test('record a decision on a re-opened alert and see it in the history', async () => {
  await page.locator('nav').getByRole('link', { name: 'Alerts' }).click();
  await page.locator('table.alerts').waitFor();
  assert.match(await page.locator('#monitor-status').innerText(), /5 customers monitored/);
  const row = page.locator('tr.alert-row', { hasText: 'Abdul Kabir Mohammad Jan' });
  assert.match(await row.innerText(), /open\s*re-opened/);
  assert.equal(await page.locator('tr.alert-row', { hasText: 'QDe.137' }).count(), 0, 'the delisted alert is closed');
  await shot('alerts');
  await row.locator('a[data-item]').click();
  await page.locator('#decide-form').waitFor();
  const alertId = /#\/alerts\/(\d+)/.exec(page.url())[1];

  // Why it re-opened: the entry changed since the earlier decision.
  const reopened = page.locator('.reopened-box');
  assert.match(await reopened.innerText(), /the entry changed since the decision/);
  assert.ok(await reopened.locator('ins', { hasText: 'ABDUL KABIR MUHAMMAD JAN (alias)' }).count() >= 1);
  assert.match(await page.locator('table.decisions').innerText(), /false positive\s+customer born 1990; listed person born 1963\s+ana/);

  // Decide. The read key may not: the page asks for an admin key and retries.
  await page.getByLabel('True match').check();
  await page.locator('#d-reason').fill('Same person: the passport D0009925 in the new listing matches our records');
  await page.locator('#d-by').fill('e2e analyst');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await page.locator('#key-dialog').waitFor({ state: 'visible' });
  assert.match(await page.locator('#key-why').textContent(), /admin key/);
  await page.locator('#key-input').fill(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await page.locator('table.decisions tbody tr').nth(1).waitFor();
  assert.equal(await page.locator('#decide-head').textContent(), 'Change the decision');
  const history = await page.locator('table.decisions tbody tr').allInnerTexts();
  assert.equal(history.length, 2, history.join('\n'));
  assert.match(history[1], /true match\s+Same person: the passport D0009925.*\s+e2e analyst\s+this one/);
  assert.match(await page.locator('.page-head').innerText(), /true match/);
  await shot('alert', true);

  // The server recorded it.
  const got = await api('GET', '/v1/monitor/alerts/' + alertId, READ_KEY);
  assert.equal(got.status, 200);
  assert.equal(got.body.alert.status, 'true_match');
  assert.equal(got.body.alert.decisions.at(-1).decided_by, 'e2e analyst');
  // And the open list no longer holds it.
  await page.goto(base + '/#/alerts');
  await page.locator('table.alerts').waitFor();
  assert.equal(await page.locator('tr.alert-row', { hasText: 'Abdul Kabir Mohammad Jan' }).count(), 0);
});

test('no request left the server, no script error, no CSP violation, no unexpected error answer', () => {
  assert.deepEqual(outside, []);
  assert.deepEqual(problems, []);
  // The only error answers: the 401 that made the page ask for a key, the 403 that made it
  // ask for an admin key, and the 404 of a delisted entry in the latest lists.
  const expected = [/^401 GET \/v1\/lists$/, /^403 POST \/v1\/monitor\/alerts\/\d+\/decision$/,
    /^404 GET \/v1\/entities\/un\/QDe\.137$/];
  for (const f of failed) assert.ok(expected.some((e) => e.test(f)), 'unexpected answer: ' + f);
  assert.equal(failed.length, 3, failed.join('\n'));
});

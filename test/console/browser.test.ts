import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { SAMPLE_LOGS, ok } from '../helpers/cli.js';
import { launchBrowser, startServe, type ConsoleProcess } from '../helpers/console.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { fetchText } from '../helpers/http.js';

// The console in a real browser (Debian's chromium through playwright-core) against a real
// store: `ouwatch serve` as a child process on 127.0.0.1, the sample day replayed into it.

const dir = tempDir();
const db = join(dir, 'sample.db');
const HOSTILE = 'uid=<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">\u202egnp.exe\x07,o=Tremolo';
let serve: ConsoleProcess;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

before(async () => {
  ok(['replay', ...SAMPLE_LOGS, '--db', db, '-q']);
  // A user whose DN is hostile markup, with enough history for a new-address alert. The new
  // address is near Seattle, where nobody in the sample works (the sample's London office,
  // 81.2.69.0/24, is the organisation's: a move there would be no news).
  const T0 = Date.UTC(2026, 2, 3, 8, 0, 0);
  const lines = Array.from({ length: 12 }, (_, i) => accessLine({ time: log4jTime(T0 + i * 600_000), dn: HOSTILE, ip: '89.160.20.112' }));
  lines.push(accessLine({ time: log4jTime(T0 + 13 * 600_000), dn: HOSTILE, ip: '216.160.83.56' }));
  writeFileSync(join(dir, 'hostile.log'), lines.join('\n') + '\n');
  ok(['replay', join(dir, 'hostile.log'), '--db', db, '-q']);
  serve = await startServe(['--db', db]);
  browser = await launchBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

describe('the console in a browser', { timeout: 60_000 }, () => {
  test('the queue opens on incidents: one per user (or network) whose alerts add up, most severe first', async () => {
    await page.goto(serve.url);
    const rows = page.locator('#queue tbody tr');
    // mmosley's stolen token, the failed logins' network, and the hostile user's new address, country and travel.
    assert.equal(await rows.count(), 3);
    // The risk counts the alerts one event raised as one observation (the riskiest in full, the others at half).
    assert.match((await rows.first().innerText()).replace(/\s+/g, ' '), /^critical 242\.5 uid=mmosley,ou=shadow,o=Tremolo .*refresh-token-replay/);
    assert.match(await page.locator('p.switch').innerText(), /Show the alerts instead/);
  });

  test('the alert queue shows the planted alerts of the sample, most severe first, with counts per severity and rule', async () => {
    await page.goto(serve.url + '?view=alerts');
    const rows = page.locator('#queue tbody tr');
    // The 10 planted alerts, and the hostile user's new address, new country and travel.
    assert.equal(await rows.count(), 13);
    assert.match((await rows.first().innerText()).replace(/\s+/g, ' '), /^critical refresh-token-replay uid=mmosley,ou=shadow,o=Tremolo/);
    assert.match(await page.locator('#counts').innerText(), /13 match/);
    assert.match(await page.locator('#counts').innerText(), /auth-failure-burst 1/);
  });

  test('filtering by severity and by user narrows the queue', async () => {
    await page.goto(serve.url + '?view=alerts');
    await page.fill('form.filters input[name=severity]', 'high+');
    await page.click('form.filters button');
    assert.equal(await page.locator('#queue tbody tr').count(), 5);
    assert.match(page.url(), /severity=high%2B/);
    await page.goto(serve.url + '?view=alerts');
    await page.fill('form.filters input[name=dn]', 'UID=ERIK*');
    await page.click('form.filters button');
    assert.deepEqual((await page.locator('#queue tbody tr td:nth-child(2)').allInnerTexts()), ['new-source-ip']);
    await page.fill('form.filters input[name=since]', "' or 1=1");
    await page.click('form.filters button');
    assert.match(await page.locator('p.error').innerText(), /since expects an ISO 8601 date\/time/);
  });

  test('ack from the page is what `ouwatch alerts show` then reports, with who did it', async () => {
    await page.goto(serve.url + '?view=alerts&rule=refresh-token-replay');
    await page.locator('#queue tbody tr td.reason a').first().click();
    const id = page.url().split('/').pop()!;
    assert.match(await page.locator('#evidence').innerText(), /openunison-orchestra-[01]\.log\s+\d+\s+\[2026-03-03 11:40:00,002\]/);
    await page.locator('form.change', { has: page.locator('input[name=change][value=ack]') }).locator('input[name=comment]').fill('calling mmosley');
    await page.click('button:text("Acknowledge")');
    await page.waitForURL(`**/alerts/${id}`);
    assert.match(await page.locator('#history').innerText(), /acknowledged by analyst@localhost: calling mmosley/);
    const shown = JSON.parse(ok(['alerts', 'show', id, '--db', db, '--json']).stdout) as { status: string; history: Array<{ status: string; by: string; at: string; comment: string }> };
    assert.equal(shown.status, 'acknowledged');
    assert.deepEqual(shown.history.at(-1), { status: 'acknowledged', by: 'analyst@localhost', at: shown.history.at(-1)!.at, comment: 'calling mmosley' });
  });

  test('a hostile DN renders as text: no script runs, no element is injected, the override is shown escaped', async () => {
    await page.goto(serve.url + '?view=alerts&rule=new-source-ip&dn=' + encodeURIComponent('uid=<script>*'));
    assert.equal(await page.locator('#queue tbody tr').count(), 1);
    const who = await page.locator('#queue td.who a').innerText();
    assert.ok(who.startsWith('uid=<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">\\u202egnp.exe\\x07'), who);
    await page.locator('#queue td.who a').click();
    await page.locator('#timeline[data-ready]').waitFor();
    assert.match(await page.locator('h1#dn').innerText(), /^uid=<script>/);
    for (const p of [page]) {
      assert.equal(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.equal(await p.locator('img').count(), 0);
      assert.equal(await p.locator('script:not([src])').count(), 0);
    }
  });

  test("a user's timeline draws events per hour by address, with the alerts marked", async () => {
    await page.goto(serve.url + 'users?dn=' + encodeURIComponent('uid=mmosley,ou=shadow,o=Tremolo'));
    await page.locator('#timeline[data-ready=true]').waitFor();
    assert.equal(await page.locator('#timeline canvas').count(), 1);
    const legend = await page.locator('#timeline .u-legend').innerText();
    assert.match(legend, /89\.160\.20\.112 \(SE\)/);
    assert.match(legend, /5\.255\.255\.5 \(RU\)/);
    assert.match(await page.locator('#timeline-note').innerText(), /6 alerts marked/);
  });

  test('a POST without the CSRF token, or from another origin, is refused', async () => {
    await page.goto(serve.url);
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/alerts/status', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ids: ['61a9'], change: 'close' }) });
      return r.status;
    });
    assert.equal(status, 403);
    const withToken = await page.evaluate(async () => {
      const token = document.querySelector('meta[name=csrf-token]')!.getAttribute('content')!;
      const r = await fetch('/api/alerts/status', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ ids: ['61a9'], change: 'ack' }) });
      return r.status;
    });
    assert.equal(withToken, 200, 'the same request with the token is accepted');
    const forged = await fetchText(new URL('/alerts/61a96dc2dc9c58a8/status', serve.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: 'change=close',
    });
    assert.equal(forged.status, 403);
  });
});

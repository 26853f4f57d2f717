import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import escapeHtml from 'escape-html';
import type { Alert } from '../../src/core/alerts.js';
import { quote } from '../../src/core/terminal-text.js';
import { HOSTILE_DNS, makeAlert } from '../helpers/alerts.js';
import { tempDir } from '../helpers/tmp.js';
import { harness } from '../helpers/delivery.js';
import { LoopbackSmtp, mimeParts, type ReceivedMail } from '../helpers/smtp.js';
import { waitFor } from '../helpers/wait.js';

const dir = tempDir();
let n = 0;
const db = () => `e${++n}.db`;
const servers: LoopbackSmtp[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function smtp(opts?: ConstructorParameters<typeof LoopbackSmtp>[0]): Promise<LoopbackSmtp> {
  const s = new LoopbackSmtp(opts);
  servers.push(s);
  await s.start();
  return s;
}

const email = (port: number, extra: Record<string, unknown> = {}) => ({
  respond: { mode: 'off' },
  notify: {
    email: { host: '127.0.0.1', port, security: 'starttls', rejectUnauthorized: false, from: 'ouwatch@example.org', to: ['soc@example.org', 'oncall@example.org'], minSeverity: 'medium', ...extra },
  },
});

function decode(m: ReceivedMail) {
  const { headers, parts } = mimeParts(m.raw);
  const text = parts.find((p) => p.contentType === 'text/plain')?.body ?? '';
  const html = parts.find((p) => p.contentType === 'text/html')?.body ?? '';
  const json = JSON.parse(parts.find((p) => p.filename === 'alerts.json')?.body ?? '[]') as Alert[];
  const subject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
  return { text, html, json, subject };
}

describe('email digest over SMTP (STARTTLS)', () => {
  test('one digest of the alerts at or above the minimum severity, as text, HTML and JSON', async () => {
    const server = await smtp();
    const h = harness(dir, email(server.port), { dbName: db() });
    const critical = makeAlert({ severity: 'critical', dn: 'uid=<script>alert(1)</script>,o=Tremolo' });
    const high = makeAlert({ severity: 'high', rule: 'new-country', dn: 'uid=a\nSubject: forged,o=Tremolo' });
    const low = makeAlert({ severity: 'low', rule: 'new-source-ip' });
    h.raise(critical, high, low);
    const r = await h.delivery.worker.drain(10_000);
    assert.equal(r.delivered, 2);
    assert.equal(server.received.length, 1, 'one digest');
    const mail = server.received[0];
    assert.equal(mail.from, 'ouwatch@example.org');
    assert.deepEqual(mail.to, ['soc@example.org', 'oncall@example.org']);
    const d = decode(mail);
    assert.equal(d.subject, '[ouwatch] 2 alerts (1 critical, 1 high)');
    assert.deepEqual(d.json.map((a) => a.id), [critical.id, high.id], 'most severe first, the low one left out');
    assert.deepEqual(d.json[0].dn, critical.dn);
    assert.match(d.text, /\[CRITICAL\] refresh-token-replay/);
    assert.ok(d.text.includes(`dn        ${quote(critical.dn!)}`), d.text);
    assert.ok(d.text.includes(`dn        ${quote(high.dn!)}`), 'the newline stays escaped: no forged line');
    assert.doesNotMatch(d.text, /^Subject: forged/m);
    assert.ok(d.html.includes(escapeHtml(quote(critical.dn!))), d.html);
    assert.ok(!d.html.includes('<script>'), 'no markup from a DN');
    assert.doesNotMatch(mail.raw, /^Subject: forged/m);
    await h.close();
  });

  test('hostile DNs round-trip exactly through the text part, the HTML part and the attachment', async () => {
    const server = await smtp();
    const h = harness(dir, email(server.port), { dbName: db() });
    const alerts = HOSTILE_DNS.map((dn) => makeAlert({ dn, reason: `reason for ${dn}` }));
    h.raise(...alerts);
    await h.delivery.worker.drain(10_000);
    const d = decode(server.received[0]);
    const fromText = d.text.split('\n').filter((l) => l.startsWith('  dn        ')).map((l) => JSON.parse(l.slice(12)) as string);
    const fromHtml = [...d.html.matchAll(/<th align="left">dn<\/th><td><code>(.*?)<\/code>/g)].map((m) => JSON.parse(unescapeHtml(m[1])) as string);
    const sorted = d.json.map((a) => a.dn);
    assert.deepEqual(new Set(fromText), new Set(HOSTILE_DNS));
    assert.deepEqual(new Set(fromHtml), new Set(HOSTILE_DNS));
    assert.deepEqual(new Set(sorted), new Set(HOSTILE_DNS));
    assert.doesNotMatch(d.text.replace(/\n/g, ''), /[\u0000-\u001f\u2028\u2029\u202e]/, 'no raw control, separator or bidi character in the text part');
    await h.close();
  });

  test('alerts of one window share a digest; the next window gets its own', async () => {
    const server = await smtp();
    let now = 1_700_000_000_000 + 5_000; // 5 s into a minute
    const h = harness(dir, email(server.port, { windowSeconds: 60 }), { dbName: db(), now: () => now });
    h.raise(makeAlert({}, now));
    now += 20_000;
    h.raise(makeAlert({}, now));
    await h.delivery.worker.runOnce();
    assert.equal(server.received.length, 0, 'the window is still open');
    now += 40_000; // the window ends
    h.raise(makeAlert({}, now)); // next window
    await h.delivery.worker.runOnce();
    assert.equal(server.received.length, 1);
    assert.equal(decode(server.received[0]).json.length, 2);
    now += 60_000;
    await h.delivery.worker.runOnce();
    assert.equal(server.received.length, 2);
    assert.equal(decode(server.received[1]).json.length, 1);
    await h.close();
  });

  test('SMTP down: alerts wait in the outbox across a restart; each is delivered exactly once', async () => {
    const server = await smtp();
    const port = server.port;
    await server.stop();
    const first = harness(dir, email(port, { windowSeconds: 1 }), { dbName: 'outage.db' });
    const alerts = [1, 2, 3].map((i) => makeAlert({ dn: `uid=u${i},o=Tremolo` }));
    first.raise(...alerts.slice(0, 2));
    const r1 = await first.delivery.worker.drain(200);
    assert.equal(r1.delivered, 0);
    assert.equal(r1.pending.email, 2);
    assert.ok(first.delivery.worker.counters.email.retrying >= 1);
    assert.ok(first.log.lines.some((l) => l.level === 'warn' && /ECONNREFUSED/.test(l.msg)), first.log.text());
    first.raise(alerts[2]);
    await first.close(); // the process stops with everything queued

    await server.start(port); // SMTP is back
    const second = harness(dir, email(port, { windowSeconds: 1 }), { dbName: 'outage.db' });
    second.delivery.worker.start(); // as the daemon runs it: the third alert goes at the end of its 1 s window
    await waitForMails(server, 3);
    await second.delivery.worker.stop();
    const r2 = await second.delivery.worker.drain(1_000);
    assert.deepEqual(r2.pending, {});
    const ids = server.received.flatMap((m) => decode(m).json.map((a) => a.id));
    assert.deepEqual([...ids].sort(), alerts.map((a) => a.id).sort(), 'every alert once, none twice');
  });

  test('implicit TLS with authentication (password from the environment)', async () => {
    const server = await smtp({ secure: true, auth: { user: 'ouwatch', pass: 's3cret' } });
    process.env.OUWATCH_TEST_SMTP_PASSWORD = 's3cret';
    const h = harness(dir, email(server.port, { security: 'tls', user: 'ouwatch', passwordEnv: 'OUWATCH_TEST_SMTP_PASSWORD' }), { dbName: db() });
    h.raise(makeAlert());
    const r = await h.delivery.worker.drain(10_000);
    assert.equal(r.delivered, 1);
    assert.equal(server.received.length, 1);
    await h.close();
  });

  test('a refused login is a permanent, visible failure', async () => {
    const server = await smtp({ auth: { user: 'ouwatch', pass: 'right' } });
    const h = harness(dir, email(server.port, { user: 'ouwatch', password: 'wrong' }), { dbName: db() });
    h.raise(makeAlert());
    const r = await h.delivery.worker.drain(10_000);
    assert.equal(r.failed, 1);
    assert.match(h.delivery.outbox.list('failed')[0].lastError!, /EAUTH/);
    assert.equal(h.delivery.worker.counters.email.failed, 1);
    await h.close();
  });
});

async function waitForMails(s: LoopbackSmtp, ids: number): Promise<void> {
  const count = () => s.received.reduce((k, m) => k + decode(m).json.length, 0);
  await waitFor(`${ids} alerts by email`, () => count() >= ids);
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

test("an incident that gathered thousands of alerts lists its count and the last ten ids in the digest's text and HTML; the attachment keeps every id", async () => {
  const { composeNoticeDigest } = await import('../../src/components/sinks/email/digest.js');
  const { incidentNotice } = await import('../../src/core/notices.js');
  const a = makeAlert({ rule: 'new-country', severity: 'high', risk: 40 });
  const ids = Array.from({ length: 2_500 }, (_, k) => `a${String(k).padStart(15, '0')}`);
  const notice = incidentNotice(
    'escalated',
    { id: 'inc1', status: 'open', severity: 'high', risk: 4000, dn: a.dn, ip: a.ip, firstTime: a.time, lastTime: a.time, rules: ['new-country'], alertIds: ids },
    [a],
  );
  const d = composeNoticeDigest([notice], '[ouwatch]');
  const line = d.text.split('\n').find((l) => l.startsWith('  alerts'))!;
  assert.equal(line, `  alerts    2500 (${ids.slice(-10).map((x) => JSON.stringify(x)).join(', ')} and 2490 more: all in incidents.json)`);
  assert.ok(!d.text.includes(ids[0]) && !d.html.includes(ids[0]), 'the first ids are not listed');
  assert.ok(d.html.includes(escapeHtml(JSON.stringify(ids[2499]))));
  assert.deepEqual((JSON.parse(d.json) as Array<{ incident: { alertIds: string[] } }>)[0].incident.alertIds, ids);

  const few = composeNoticeDigest([incidentNotice('opened', { ...notice.incident, alertIds: ids.slice(0, 3) }, [a])], '[ouwatch]');
  assert.ok(few.text.includes(`  alerts    3 (${ids.slice(0, 3).map((x) => JSON.stringify(x)).join(', ')})`));
});

test("an incident held by detection carries its latest 1,000 ids and its count: the digest says how many and where the rest are", async () => {
  const { composeNoticeDigest } = await import('../../src/components/sinks/email/digest.js');
  const { incidentNotice } = await import('../../src/core/notices.js');
  const a = makeAlert({ rule: 'new-country', severity: 'high', risk: 40 });
  const ids = Array.from({ length: 1_000 }, (_, k) => `b${String(k + 1_500).padStart(15, '0')}`);
  const notice = incidentNotice(
    'escalated',
    { id: 'inc2', status: 'open', severity: 'high', risk: 4000, dn: a.dn, ip: a.ip, firstTime: a.time, lastTime: a.time, rules: ['new-country'], alertIds: ids },
    [a],
    2_500,
  );
  const d = composeNoticeDigest([notice], '[ouwatch]');
  const line = d.text.split('\n').find((l) => l.startsWith('  alerts'))!;
  assert.equal(line, `  alerts    2500 (${ids.slice(-10).map((x) => JSON.stringify(x)).join(', ')} and 2490 more: the latest 1000 in incidents.json, all with ouwatch incidents show)`);
  const json = (JSON.parse(d.json) as Array<{ alertCount: number; incident: { alertIds: string[] } }>)[0];
  assert.equal(json.alertCount, 2_500);
  assert.deepEqual(json.incident.alertIds, ids);
});

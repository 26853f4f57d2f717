import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { toAlertJson } from '../../src/core/alerts.js';
import { INVISIBLE, quote } from '../../src/core/terminal-text.js';
import { HOSTILE_DNS, makeAlert } from '../helpers/alerts.js';
import { tempDir } from '../helpers/tmp.js';
import { harness } from '../helpers/delivery.js';

// A real HTTP receiver on loopback; `answers` scripts its next status codes (0 = never answer).
const received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
const answers: number[] = [];
let server: Server;
let base = '';
const SECRET = 'a-webhook-secret-of-some-length';
const dir = tempDir();
let n = 0;
const db = () => `w${++n}.db`;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const code = answers.shift() ?? 200;
      if (code === 0) return; // hang
      res.writeHead(code, code >= 300 && code < 400 ? { location: 'http://elsewhere.example/' } : {}).end(code === 200 ? 'ok' : 'no');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.OUWATCH_TEST_WEBHOOK_SECRET = SECRET;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  received.length = 0;
  answers.length = 0;
});

/**
 * Long enough that a loaded machine's answer is never taken for no answer (at 300 ms, tests run
 * four at a time once saw a delivery retried and received twice), short enough for the test of
 * a receiver that hangs.
 */
const RECEIVER_TIMEOUT_MS = 2_000;

const hooks = (extra: Record<string, unknown> = {}) => ({
  respond: { mode: 'off' },
  notify: {
    webhooks: [
      { name: 'siem', url: `${base}/siem`, secretEnv: 'OUWATCH_TEST_WEBHOOK_SECRET', minSeverity: 'medium', timeoutMs: RECEIVER_TIMEOUT_MS },
      { name: 'slack', url: `${base}/slack`, format: 'slack', minSeverity: 'high' },
    ],
    ...extra,
  },
});

function verify(r: (typeof received)[number]): boolean {
  const ts = String(r.headers['x-ouwatch-timestamp']);
  const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex');
  return r.headers['x-ouwatch-signature-256'] === expected;
}

describe('webhooks', () => {
  test('each alert is POSTed as the Alert JSON, signed with HMAC-SHA256 over timestamp and body', async () => {
    const h = harness(dir, hooks(), { dbName: db() });
    const alert = makeAlert({ severity: 'medium', rule: 'new-source-ip', dn: HOSTILE_DNS[3] });
    h.raise(alert);
    await h.delivery.worker.drain(5_000);
    assert.deepEqual(received.map((r) => r.path), ['/siem'], 'medium is below the slack hook minimum');
    const [r] = received;
    assert.deepEqual(JSON.parse(r.body), toAlertJson(alert));
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.ok(verify(r), 'signature verifies');
    assert.ok(!verify({ ...r, body: r.body.replace('new-source-ip', 'new-source-IP') }), 'a changed body does not');
    assert.match(String(r.headers['x-ouwatch-delivery']), /^\d+$/);
  });

  for (const dn of HOSTILE_DNS) {
    test(`hostile DN ${JSON.stringify(dn)} round-trips through the JSON body and is escaped in the Slack text`, async () => {
      const h = harness(dir, hooks(), { dbName: db() });
      h.raise(makeAlert({ dn }));
      await h.delivery.worker.drain(5_000);
      const siem = received.find((r) => r.path === '/siem')!;
      assert.equal(JSON.parse(siem.body).dn, dn);
      const slack = JSON.parse(received.find((r) => r.path === '/slack')!.body) as { text: string };
      assert.ok(!/[<>]/.test(slack.text.replace(/&lt;|&gt;/g, '')), slack.text);
      assert.ok(slack.text.includes(quote(dn).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')), slack.text);
      // No control, bidi override, separator or zero-width character reaches the chat client raw.
      assert.doesNotMatch(slack.text.replace(/\n/g, ' '), new RegExp(INVISIBLE.source));
    });
  }

  test('a 503 or a receiver that does not answer in time is retried; the delivery id stays the same', async () => {
    const h = harness(dir, hooks(), { dbName: db() });
    answers.push(503, 0);
    h.raise(makeAlert({ severity: 'medium' }));
    await h.delivery.worker.drain(5_000);
    assert.equal(received.length, 3);
    assert.equal(new Set(received.map((r) => r.headers['x-ouwatch-delivery'])).size, 1);
    assert.equal(h.delivery.worker.counters.webhook.retrying, 2);
    assert.equal(h.delivery.worker.counters.webhook.delivered, 1);
    assert.ok(h.log.lines.some((l) => new RegExp(`no answer within ${RECEIVER_TIMEOUT_MS} ms`).test(l.msg)), h.log.text());
  });

  test('a 400 or a redirect is a permanent, visible failure', async () => {
    const h = harness(dir, hooks(), { dbName: db() });
    answers.push(400, 302);
    h.raise(makeAlert({ severity: 'high' }));
    const r = await h.delivery.worker.drain(5_000);
    assert.equal(r.failed, 2);
    const errors = h.delivery.outbox.list('failed').map((i) => i.lastError).sort();
    assert.match(errors[0]!, /POST siem: HTTP 400|POST slack: HTTP 400/);
    assert.ok(errors.some((e) => /HTTP 302 \(redirect to http:\/\/elsewhere\.example\/: configure the final URL\)/.test(e!)), errors.join('\n'));
    assert.equal(received.length, 2, 'not retried, redirect not followed');
  });

  test('a json webhook without a secret is refused at start-up', () => {
    assert.throws(() => harness(dir, { notify: { webhooks: [{ url: `${base}/x` }] } }, { dbName: db() }), /secretEnv|secret/);
  });
});

describe('JSONL sink', () => {
  test('appends each alert at or above its minimum severity as one line of Alert JSON', async () => {
    const path = join(dir, 'out', 'alerts.jsonl');
    const h = harness(dir, { respond: { mode: 'off' }, notify: { jsonl: { path, minSeverity: 'medium' } } }, { dbName: db() });
    const alerts = HOSTILE_DNS.map((dn) => makeAlert({ dn, severity: 'high' }));
    h.raise(...alerts, makeAlert({ severity: 'low' }));
    await h.delivery.worker.drain(5_000);
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), alerts.map((a) => toAlertJson(a)));
  });
});

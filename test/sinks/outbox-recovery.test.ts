import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DaemonMetrics } from '../../src/app/http/metrics.js';
import { deliveryWorker } from '../../src/app/run/delivery-worker.js';
import { makeAlert } from '../helpers/alerts.js';
import { ouwatch, ndjson } from '../helpers/cli.js';
import { harness } from '../helpers/delivery.js';
import { LoopbackSmtp, mimeParts, type ReceivedMail, type SmtpAnswer } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';
import { emailSchema } from '../../src/components/sinks/email/config.js';
import { waitFor } from '../helpers/wait.js';

const dir = tempDir();
let n = 0;
const db = () => `o${++n}.db`;
const servers: LoopbackSmtp[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function smtp(answer: (mail: ReceivedMail, n: number) => SmtpAnswer | undefined): Promise<LoopbackSmtp> {
  const s = new LoopbackSmtp({ answer });
  servers.push(s);
  await s.start();
  return s;
}

const email = (port: number, extra: Record<string, unknown> = {}) => ({
  respond: { mode: 'off' },
  notify: { email: { host: '127.0.0.1', port, security: 'starttls', rejectUnauthorized: false, from: 'ouwatch@example.org', to: ['soc@example.org'], minSeverity: 'low', windowSeconds: 1, ...extra } },
});

const messageId = (m: ReceivedMail) => /^Message-ID: (.*)$/im.exec(mimeParts(m.raw).headers)?.[1]?.trim() ?? '';
const alertIds = (m: ReceivedMail) => (JSON.parse(mimeParts(m.raw).parts.find((p) => p.filename === 'alerts.json')?.body ?? '[]') as Array<{ id: string }>).map((a) => a.id);

describe('notifications: no duplicates, no silent loss', () => {
  // The sink waits as long as it is configured to for the answer to a message, and the default
  // is RFC 5321's 10 minutes: giving up while the server is still accepting a message is how a
  // digest arrives twice. The waits are scaled down here; the default is checked by value.
  test("a server slow to answer a message is given the sink's timeout: under it the digest arrives once, over it the attempt fails; the default is RFC 5321's 10 minutes", { timeout: 30_000 }, async () => {
    assert.equal(emailSchema.parse({ host: 'h', from: 'a@b', to: ['c@d'] }).timeoutMs, 600_000);

    const patient = await smtp((_, i) => (i === 0 ? { delayMs: 2_000 } : undefined));
    const h = harness(dir, email(patient.port, { timeoutMs: 6_000 }), { dbName: db() });
    h.raise(makeAlert());
    h.delivery.worker.start();
    await waitFor('the digest delivered', () => h.delivery.outbox.list('delivered').length === 1, 20_000);
    assert.equal(patient.received.length, 1, 'no second copy');
    assert.equal(h.delivery.outbox.list('delivered')[0].attempts, 1);
    await h.close();

    const hasty = await smtp((_, i) => (i === 0 ? { delayMs: 2_000 } : undefined));
    const g = harness(dir, email(hasty.port, { timeoutMs: 500 }), { dbName: db() });
    g.raise(makeAlert());
    await g.delivery.worker.runOnce({ flush: true });
    assert.equal(g.delivery.outbox.list('delivered').length, 0, 'a reply later than timeoutMs is not waited for');
    await g.close();
  });

  test('a digest sent again after a failure keeps its Message-ID and its alerts; items queued meanwhile go in a new digest', { timeout: 30_000 }, async () => {
    const server = await smtp((_, i) => (i === 0 ? { refuse: { code: 451, message: 'try again later' } } : undefined));
    const h = harness(dir, email(server.port), { dbName: db() });
    const a = makeAlert();
    h.raise(a);
    assert.equal(await h.delivery.worker.runOnce({ flush: true }), 1);
    assert.equal(server.received.length, 1, 'the first attempt reached the server and was refused');
    const b = makeAlert();
    h.raise(b);
    await waitFor('both delivered', async () => {
      await h.delivery.worker.runOnce({ flush: true });
      return h.delivery.outbox.list('delivered').length === 2;
    });
    const [refused, ...sent] = server.received;
    const again = sent.find((m) => alertIds(m).includes(a.id))!;
    assert.deepEqual(alertIds(again), [a.id], 'the retry is the same digest: the new alert is not folded into it');
    assert.equal(messageId(again), messageId(refused));
    assert.match(messageId(refused), /^<ouwatch\.digest\.\d+\.[0-9a-f]{16}@example\.org>$/);
    const other = sent.find((m) => alertIds(m).includes(b.id))!;
    assert.notEqual(messageId(other), messageId(refused));
    await h.close();
  });

  test('an SMTP 550 and a webhook 404 fail at once, visibly: listed, counted, requeued with ouwatch outbox retry, then delivered', { timeout: 60_000 }, async () => {
    let refuseMail = true;
    const server = await smtp(() => (refuseMail ? { refuse: { code: 550, message: 'mailbox unavailable' } } : undefined));
    let hookStatus = 404;
    const hook = createServer((_req, res) => {
      res.writeHead(hookStatus);
      res.end(hookStatus === 404 ? 'no such hook' : 'ok');
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    after(() => hook.close());
    const name = db();
    const path = join(dir, name);
    const h = harness(
      dir,
      {
        ...email(server.port),
        notify: { ...email(server.port).notify, webhooks: [{ name: 'siem', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/in`, format: 'slack', minSeverity: 'low' }] },
      },
      { dbName: name },
    );
    const metrics = new DaemonMetrics({ stats: () => ({ linesRead: 0, events: {}, lineKinds: {}, skippedBytes: 0, users: 0, usersExact: true, alertsRaised: 0, alertsUpdated: 0 }), lastEventTs: () => null, workers: () => [deliveryWorker(h.delivery).stats()], sources: () => [] });
    const sample = async (series: string) => Number((await metrics.render()).body.split('\n').find((l) => l.startsWith(series + ' '))?.split(' ')[1] ?? NaN);

    h.raise(makeAlert());
    await h.delivery.worker.drain(10_000);
    const failed = ndjson<{ id: number; kind: string; status: string; attempts: number; lastError: string }>(ouwatch(['outbox', 'list', '--status', 'failed', '--json', '--db', path]).stdout);
    assert.deepEqual(failed.map((f) => [f.kind, f.status, f.attempts]).sort(), [['email', 'failed', 1], ['webhook', 'failed', 1]]);
    assert.match(failed.find((f) => f.kind === 'email')!.lastError, /550 mailbox unavailable/);
    assert.match(failed.find((f) => f.kind === 'webhook')!.lastError, /HTTP 404: no such hook/);
    assert.equal(await sample('ouwatch_outbox_items{kind="email",status="failed"}'), 1);
    assert.equal(await sample('ouwatch_outbox_items{kind="webhook",status="failed"}'), 1);

    // The cause is fixed; a person requeues both (beside a running writer: no lease needed).
    refuseMail = false;
    hookStatus = 200;
    const retry = ouwatch(['outbox', 'retry', ...failed.map((f) => String(f.id)), '--db', path]);
    assert.equal(retry.status, 0, retry.stderr);
    assert.equal(retry.stdout.trim().split('\n').filter((l) => / requeued: due now, expires \d{4}-/.test(l)).length, 2);
    const again = ouwatch(['outbox', 'retry', String(failed[0].id), '--db', path]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not requeued: it is pending, not failed/);

    await h.delivery.worker.drain(10_000);
    assert.equal(h.delivery.outbox.list('delivered').length, 2);
    assert.equal(server.received.length, 2, 'refused once, delivered once');
    assert.equal(await sample('ouwatch_outbox_items{kind="email",status="delivered"}'), 1);
    assert.equal(await sample('ouwatch_outbox_requeued_total{kind="email"}'), 1);
    assert.equal(await sample('ouwatch_outbox_requeued_total{kind="webhook"}'), 1);
    const listed = ouwatch(['outbox', 'list', '--status', 'all', '--db', path]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /email\s+email\s+delivered/);
    await h.close();
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

// SIGTERM must end the daemon within 5 s even while a delivery hangs: the SMTP server here
// accepts connections and never says a word. What was not delivered stays in the outbox.

const SAMPLE = [0, 1].map((r) => new URL(`../../fixtures/sample/openunison-orchestra-${r}.log`, import.meta.url).pathname);
const children: DaemonProcess[] = [];
const sockets: Socket[] = [];
const silent = createServer((s) => sockets.push(s));
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
  for (const s of sockets) s.destroy();
  silent.close();
});

test('SIGTERM while an SMTP delivery hangs: exit 0 within 5 s, the digest still queued', async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const dir = tempDir();
  const config = join(dir, 'ouwatch.yaml');
  writeFileSync(
    config,
    [
      `store: { path: ${JSON.stringify(join(dir, 'ouwatch.db'))} }`,
      `sources: { files: ${JSON.stringify(SAMPLE)} }`,
      `notify: { email: { host: 127.0.0.1, port: ${port}, security: none, from: ouwatch@example.org, to: [soc@example.org], minSeverity: low, windowSeconds: 1, timeoutMs: 30000 } }`,
      'outbox: { pollMs: 50 }',
    ].join('\n') + '\n',
  );
  const d = spawnDaemon(['--config', config, '--listen', '127.0.0.1:0']);
  children.push(d);
  await d.waitForLog('start', (r) => r.msg === 'ouwatch run started');
  const deadline = Date.now() + 15_000;
  while (sockets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(sockets.length > 0, 'the worker connected to the silent SMTP server');
  const t0 = Date.now();
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  const took = Date.now() - t0;
  assert.equal(exit.code, 0, JSON.stringify(d.logs.slice(-3)));
  assert.ok(took < 5000, `exited after ${took} ms`);
  const db = new Database(join(dir, 'ouwatch.db'), { readonly: true });
  try {
    const rows = db.prepare(`SELECT status, count(*) AS n FROM outbox WHERE kind = 'email' GROUP BY status`).all() as Array<{ status: string; n: number }>;
    assert.ok(rows.some((r) => r.status === 'pending' && r.n > 0), `the digest waits in the outbox: ${JSON.stringify(rows)}`);
    assert.ok(!rows.some((r) => r.status === 'failed'), 'and is not given up');
  } finally {
    db.close();
  }
});

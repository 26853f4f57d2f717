import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SAMPLE_LOGS } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { fetchText } from '../helpers/http.js';

// `ouwatch run --listen` serves the same console beside /healthz, /readyz and /metrics.

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

const get = (base: string, path: string) => fetchText(new URL(path, base));

test('the daemon serves the console and its API next to its endpoints, from the store it writes', async () => {
  const dir = tempDir();
  const d = spawnDaemon(['--file', SAMPLE_LOGS[0], '--file', SAMPLE_LOGS[1], '--db', join(dir, 'live.db'), '--listen', '127.0.0.1:0']);
  children.push(d);
  const base = await d.url();
  assert.equal((await get(base, '/healthz')).status, 200);
  const alerts = await waitFor('the planted alerts to be committed', async () => {
    const r = JSON.parse((await get(base, '/api/alerts?limit=all')).body) as { total: number };
    return r.total === 10 ? r : undefined;
  }, 30_000);
  assert.equal(alerts.total, 10);
  const page = await get(base, '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<h1>Incidents<\/h1>/, 'the queue opens on the incidents the alerts opened');
  assert.match((await get(base, '/?view=alerts')).body, /<h1>Alerts<\/h1>/);
  assert.match((await get(base, '/metrics')).body, /^ouwatch_lines_read_total /m);
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});

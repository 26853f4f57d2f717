import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { logLine } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';
import { getText, metric } from '../helpers/http.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

/** Records as containerd writes them: `<time> stdout F <line>`; long lines split into P parts. */
function cri(indices: number[], split = false): string {
  let out = '';
  for (const i of indices) {
    for (const text of logLine(i).split('\n')) {
      const t = `2026-03-02T08:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`;
      if (split && text.length > 40) out += `${t} stdout P ${text.slice(0, 40)}\n${t} stdout F ${text.slice(40)}\n`;
      else out += `${t} stdout F ${text}\n`;
    }
  }
  return out;
}

function podDir(root: string, pod: string, container: string): string {
  const d = join(root, `openunison_${pod}_0d5c7a52-8e1f-4b7a-9d2e-${pod.slice(-4)}`, container);
  mkdirSync(d, { recursive: true });
  return d;
}

test('node mode reads the CRI files of OpenUnison pods only, joins partial records, and picks up new pods', async () => {
  const root = tempDir();
  const a = podDir(root, 'openunison-orchestra-5f7d-aaaa', 'openunison-orchestra');
  writeFileSync(join(a, '0.log'), cri([0, 1, 2, 3], true));
  // Not read: another container of the pod, another deployment, a compressed rotated file.
  writeFileSync(join(podDir(root, 'openunison-orchestra-5f7d-aaaa', 'istio-proxy'), '0.log'), cri([50]));
  writeFileSync(join(podDir(root, 'openunison-operator-7b9-cccc', 'openunison-orchestra'), '0.log'), cri([60]));
  writeFileSync(join(a, '0.log.20260301-235959.gz'), gzipSync(cri([70])));

  const d = spawnDaemon(['--node-dir', root, '--db', join(tempDir(), 'ouwatch.db'), '--listen', '127.0.0.1:0', '--rescan-ms', '200']);
  children.push(d);
  const base = await d.url();
  await waitFor('four records', async () => (await metric(base, 'ouwatch_lines_read_total')) === 4);
  assert.equal(await metric(base, 'ouwatch_events_total{type="AuSuccess"}'), 1);
  assert.equal(await metric(base, 'ouwatch_events_total{type="AzSuccess"}'), 2);
  assert.equal(await metric(base, 'ouwatch_lines_skipped_total{reason="malformed"}'), 0, 'partial records were joined');

  // A new replica is scheduled on the node, and the first one keeps logging.
  const b = podDir(root, 'openunison-orchestra-5f7d-bbbb', 'openunison-orchestra');
  writeFileSync(join(b, '0.log'), cri([4, 6]));
  appendFileSync(join(a, '0.log'), cri([5]));
  await waitFor('the new pod', async () => (await metric(base, 'ouwatch_lines_read_total')) === 7);
  const tailed = d.logs.filter((r) => r.msg === 'tailing file').map((r) => String(r.path));
  assert.deepEqual(tailed.sort(), [join(a, '0.log'), join(b, '0.log')]);
  const ready = JSON.parse(await getText(new URL('/readyz', base))) as { sources: Array<{ name: string; inputs: Array<{ name: string; state: string }> }> };
  assert.equal(ready.sources[0].name, 'node');
  assert.ok(ready.sources[0].inputs.some((i) => i.name.endsWith('.gz') && /gzip archive/.test(i.state)));
  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
});

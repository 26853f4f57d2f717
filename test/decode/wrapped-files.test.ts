import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { activity } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// The same OpenUnison log as a file on disk, as docker's json-file driver stores it, as the
// kubelet's CRI file (long lines split into P parts), as `kubectl logs --timestamps` prints it,
// and gzipped: `ouwatch parse --json` gives the same events from each (only the source differs).

const LINES = activity(400, { seed: 5 });
const T = (i: number) => `2026-03-02T08:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`;

const shapes: Record<string, string | Buffer> = {
  'plain.log': LINES.join('\n') + '\n',
  'docker.log': LINES.map((l, i) => JSON.stringify({ log: l + '\n', stream: 'stdout', time: T(i) })).join('\n') + '\n',
  'cri.log': LINES.map((l, i) => (l.length > 100 ? `${T(i)} stdout P ${l.slice(0, 100)}\n${T(i)} stdout F ${l.slice(100)}` : `${T(i)} stdout F ${l}`)).join('\n') + '\n',
  'kubectl.log': LINES.map((l, i) => `${T(i)} ${l}`).join('\n') + '\n',
  'crlf.log': LINES.join('\r\n') + '\r\n',
  'plain.log.gz': gzipSync(LINES.join('\n') + '\n'),
};

test('every wrapper gives the events of the plain log, field for field', async () => {
  const dir = tempDir();
  const byShape: Record<string, Array<Record<string, unknown>>> = {};
  for (const [name, content] of Object.entries(shapes)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const r = await runCli(['parse', path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    byShape[name] = r.stdout.trim().split('\n').map((l) => {
      const { source, ...rest } = JSON.parse(l) as Record<string, unknown>;
      assert.match(String(source), new RegExp(`${name.replace('.', '\\.')}:\\d+$`));
      return rest;
    });
  }
  const plain = byShape['plain.log'];
  assert.ok(plain.length > 150, `${plain.length} events`);
  for (const [name, events] of Object.entries(byShape)) assert.deepEqual(events, plain, name);
});

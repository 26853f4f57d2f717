import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fingerprintOf } from '../../src/components/sources/files/fingerprint.js';
import { TailedFile } from '../../src/components/sources/files/followed-log.js';
import type { Claim } from '../../src/components/sources/files/tail-context.js';
import { logText } from '../helpers/log-lines.js';
import { tempDir } from '../helpers/tmp.js';
import type { RecordChannel } from './record-channel.js';
import { recordingTailContext } from './tail-context.js';

// Attaching a followed file identifies the file at its path, asks the store where its log was
// left, and only then starts the tail, which opens the path by name. A rotation in between
// (the daemon restarting as the log rotates) must not make the tail read the new file from
// the old log's offset as if it were the old log: that read the new file from the middle of a
// line and let the old log's rest wait behind it, out of order.

test('a file rotated while it is being attached is not read as the log it replaced: each file is read as itself, once attached again', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const oldText = logText(0, 40);
  const newText = logText(1_000, 1_100);
  writeFileSync(path, oldText);
  const oldFp = fingerprintOf(Buffer.from(oldText), false)!;
  const checkpoint = Buffer.byteLength(logText(0, 20));

  let release: () => void = () => {};
  const slowStore = new Promise<void>((r) => (release = r));
  const { ctx, inputs } = recordingTailContext(async (fp): Promise<Claim> => {
    await slowStore;
    return fp === oldFp ? { offset: checkpoint, lineNo: 20, known: true, tailHash: null, hashOffset: null } : { offset: 0, lineNo: 0, known: false, tailHash: null, hashOffset: null };
  });

  const current = new TailedFile(path, ctx);
  const attaching = current.attach();
  await sleep(50);
  // While the store answers: app.log is rotated away and a new app.log written.
  renameSync(path, join(dir, 'app.log.1'));
  writeFileSync(path, newText);
  release();
  await attaching;
  assert.equal(inputs.length, 0, 'nothing is read under the identity of a file the path no longer holds');
  assert.equal(current.state, 'waiting');

  // The next scan attaches both as they are: the rotated log from its checkpoint, the new one from its start.
  const rotated = new TailedFile(join(dir, 'app.log.1'), ctx);
  await rotated.attach();
  await current.attach();
  await sleep(300);
  await Promise.all([rotated.stop(), current.stop()]);
  const text = (c: RecordChannel) => c.records.map((r) => r.text).join('\n') + '\n';
  assert.deepEqual(inputs.map((i) => [i.fingerprint === oldFp, i.offset]), [[true, checkpoint], [false, 0]]);
  assert.equal(text(inputs[0].channel), logText(20, 40));
  assert.equal(text(inputs[1].channel), newText);
});

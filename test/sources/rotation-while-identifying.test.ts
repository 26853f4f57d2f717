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
import { waitFor } from '../helpers/wait.js';
import type { RecordChannel } from './record-channel.js';
import { recordingTailContext } from './tail-context.js';

// After a rotation by rename, a followed path's new file is named by its first line and the
// source is asked where that log was left, which takes a moment (a rescan, the store). If the
// path is rotated again meanwhile (logrotate renaming every generation under a glob that
// follows them all, on a loaded machine), the newest file's bytes must not be read as the file
// in between: that delivered the newest file's lines twice, once under each name (seen in CI).

test('rotated again while its new file is identified: the file in between is read as itself and finished, the newest as itself, no line twice', async () => {
  const dir = tempDir();
  const path = join(dir, 'app.log.1');
  const first = logText(0, 20);
  const between = logText(100, 120);
  const newest = logText(200, 220);
  writeFileSync(path, first);
  const fp = (text: string) => fingerprintOf(Buffer.from(text), false)!;

  let release: () => void = () => {};
  const slowClaim = new Promise<void>((r) => (release = r));
  const claimed: string[] = [];
  const { ctx, inputs } = recordingTailContext(async (f): Promise<Claim> => {
    claimed.push(f);
    // The first file is claimed at once; the one in between only once the test lets it.
    if (f === fp(between)) await slowClaim;
    return { offset: 0, lineNo: 0, known: false, tailHash: null, hashOffset: null };
  });

  const tailed = new TailedFile(path, ctx);
  await tailed.attach();
  const text = (c: RecordChannel) => c.records.map((r) => r.text).join('\n') + '\n';
  await waitFor('the first file', () => inputs.length === 1 && text(inputs[0].channel) === first);
  // logrotate: the path's file moves on, a new one takes its name...
  renameSync(path, join(dir, 'app.log.2'));
  writeFileSync(path, between);
  await waitFor('the file in between being identified', () => claimed.includes(fp(between)));
  // ...and again, while the source is still asked about the file in between.
  renameSync(path, join(dir, 'app.log.3'));
  writeFileSync(path, newest);
  // Polls every 20 ms: by now the tail has seen the rename and read the newest file's bytes.
  await sleep(500);
  release();
  await sleep(300);
  await tailed.stop();

  const read = inputs.map((i) => ({ file: i.fingerprint === fp(first) ? 'first' : i.fingerprint === fp(between) ? 'between' : i.fingerprint === fp(newest) ? 'newest' : 'other', text: text(i.channel), done: i.channel.ended }));
  // Each file once, as itself: the one in between once its claim answers (then finished: it is
  // no longer at this path), the newest from its first line.
  assert.deepEqual(read.map((r) => r.file).sort(), ['between', 'first', 'newest']);
  assert.deepEqual(Object.fromEntries(read.map((r) => [r.file, r.text])), { first, between, newest });
  assert.equal(read.find((r) => r.file === 'between')?.done, true, 'the file in between is finished: a follower of its rotated name continues after it');
});
